/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-wire-siphash.c — SipHash-2-4 (Aumasson and Bernstein, 2012),
 * see navette-wire-siphash-private.h. */
#define G_LOG_DOMAIN "navette-wire"

#include "config.h"

#include <string.h>

#include "navette-wire-siphash-private.h"

#define ROTL(x, b) (guint64) (((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND               \
  G_STMT_START {               \
    v0 += v1;                  \
    v1 = ROTL (v1, 13);        \
    v1 ^= v0;                  \
    v0 = ROTL (v0, 32);        \
    v2 += v3;                  \
    v3 = ROTL (v3, 16);        \
    v3 ^= v2;                  \
    v0 += v3;                  \
    v3 = ROTL (v3, 21);        \
    v3 ^= v0;                  \
    v2 += v1;                  \
    v1 = ROTL (v1, 17);        \
    v1 ^= v2;                  \
    v2 = ROTL (v2, 32);        \
  } G_STMT_END

guint64
navette_wire_siphash (const NavetteSipKey *key,
                      const void          *data,
                      gsize                len)
{
  const guint8 *in = data;
  const guint8 *end = in + len - (len % 8);
  guint64 v0 = G_GUINT64_CONSTANT (0x736f6d6570736575) ^ key->k0;
  guint64 v1 = G_GUINT64_CONSTANT (0x646f72616e646f6d) ^ key->k1;
  guint64 v2 = G_GUINT64_CONSTANT (0x6c7967656e657261) ^ key->k0;
  guint64 v3 = G_GUINT64_CONSTANT (0x7465646279746573) ^ key->k1;
  guint64 b = ((guint64) len) << 56;

  for (; in != end; in += 8)
    {
      guint64 m;

      memcpy (&m, in, sizeof m);
      m = GUINT64_FROM_LE (m);
      v3 ^= m;
      SIPROUND;
      SIPROUND;
      v0 ^= m;
    }

  switch (len & 7)
    {
    case 7: b |= ((guint64) in[6]) << 48; G_GNUC_FALLTHROUGH;
    case 6: b |= ((guint64) in[5]) << 40; G_GNUC_FALLTHROUGH;
    case 5: b |= ((guint64) in[4]) << 32; G_GNUC_FALLTHROUGH;
    case 4: b |= ((guint64) in[3]) << 24; G_GNUC_FALLTHROUGH;
    case 3: b |= ((guint64) in[2]) << 16; G_GNUC_FALLTHROUGH;
    case 2: b |= ((guint64) in[1]) << 8; G_GNUC_FALLTHROUGH;
    case 1: b |= ((guint64) in[0]); break;
    default: break;
    }

  v3 ^= b;
  SIPROUND;
  SIPROUND;
  v0 ^= b;
  v2 ^= 0xff;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  return v0 ^ v1 ^ v2 ^ v3;
}

const NavetteSipKey *
navette_wire_siphash_key (void)
{
  static NavetteSipKey key;
  static gsize ready = 0;

  if (g_once_init_enter (&ready))
    {
      /* GLib's global generator is seeded from /dev/urandom. */
      key.k0 = ((guint64) g_random_int () << 32) | g_random_int ();
      key.k1 = ((guint64) g_random_int () << 32) | g_random_int ();
      g_once_init_leave (&ready, 1);
    }
  return &key;
}
