/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-log-escape.h — what a client sent, written as one field of one
 * line of the access log.
 *
 * The method, the path and the user name come from the client: written
 * as they are, a newline in them would start a line of the attacker's
 * choosing, and escape sequences would reach the operator's terminal. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Appends @text to @out as one field: printable ASCII (0x21–0x7e) but '%'
 * as it is, every other byte — space, control bytes, newlines, DEL, '%',
 * any byte of UTF-8 beyond ASCII, invalid UTF-8 — as %XX (upper-case hex),
 * so the field never holds a space or a line break and decodes back to
 * the bytes sent. NULL or "" is written "-", and "-" itself "%2D". */
void navette_log_escape_append (GString    *out,
                                const char *text);

G_END_DECLS
