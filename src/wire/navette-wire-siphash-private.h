/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-wire-siphash-private.h — SipHash-2-4, a keyed hash for the
 * strict scanner's member-name sets (navette-wire-scan.c).
 *
 * A hash table whose hash function an outsider knows can be filled with
 * names that all land in one bucket, so that each new name is compared
 * with every earlier one (quadratic time). SipHash under a key drawn at
 * random once per process cannot be aimed at. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint64 k0;
  guint64 k1;
} NavetteSipKey;

/* SipHash-2-4 of @len bytes at @data under @key (the reference
 * algorithm: key bytes 0–7 and 8–15 read little-endian as k0, k1). */
guint64              navette_wire_siphash      (const NavetteSipKey *key,
                                                const void          *data,
                                                gsize                len);
/* This process's key: random, drawn once. */
const NavetteSipKey *navette_wire_siphash_key  (void);

G_END_DECLS
