/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-listen.c — the listening socket (see navette-listen.h). */
#define G_LOG_DOMAIN "navette-server"

#include "config.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include "navette-listen.h"

int
navette_listen_backlog (void)
{
  g_autofree char *text = NULL;
  guint64 value = 0;

  /* listen() silently cuts a larger backlog to this */
  if (g_file_get_contents ("/proc/sys/net/core/somaxconn", &text, NULL, NULL) &&
      g_ascii_string_to_unsigned (g_strstrip (text), 10, 1, G_MAXINT, &value, NULL))
    return (int) value;
  return SOMAXCONN;
}

GSocket *
navette_listen_socket_new (GSocketAddress  *address,
                           GError         **error)
{
  g_autoptr(GSocket) socket = NULL;
  GSocketFamily family;

  g_return_val_if_fail (G_IS_SOCKET_ADDRESS (address), NULL);

  family = g_socket_address_get_family (address);
  socket = g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  if (socket == NULL)
    return NULL;
  if (family == G_SOCKET_FAMILY_IPV6 &&
      !g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, TRUE, error))
    return NULL;
  if (!g_socket_bind (socket, address, TRUE, error))
    return NULL;
  g_socket_set_listen_backlog (socket, navette_listen_backlog ());
  if (!g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}
