/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-test-json.h — JSON bodies built to collide, for the tests and
 * the benchmark of the strict scanner's limits (tests/bench/bench-json.c).
 *
 * json-glib keeps an object's members in a GHashTable hashed with
 * g_str_hash, a fixed and documented function ("djb": h = h * 33 + c over
 * signed chars, from 5381): anyone can write names with any hash value.
 * Every name here is 12 characters: five hexadecimal digits and seven
 * characters from ']' to '~' chosen for the hash wanted. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  /* {"x":[{@members members},…]}, names with random hashes */
  NAVETTE_TEST_BODY_ORDINARY,
  /* the same, every name with one g_str_hash value */
  NAVETTE_TEST_BODY_SAME_HASH,
  /* one object holding every name, all with one g_str_hash value: the
   * body of issue 15's measurements */
  NAVETTE_TEST_BODY_SAME_HASH_ONE_OBJECT,
  /* {"x":[{@members members},…]}, four names per g_str_hash value (the
   * most the scanner lets through), every value landing in one slot of
   * the two largest tables GLib grows through for @members entries:
   * what an attacker can still send */
  NAVETTE_TEST_BODY_SAME_BUCKET,
} NavetteTestBody;

/* A name of 12 characters whose g_str_hash is @hash; @index (< 2^20)
 * makes it unique. Writes 13 bytes (a NUL ends it). */
void        navette_test_json_name  (guint32          index,
                                     guint32          hash,
                                     char             out[13]);
/* A body of @kind of at most @size bytes (a few less), in objects of
 * @members members (the last one may have fewer). */
GString    *navette_test_json_body  (NavetteTestBody  kind,
                                     gsize            size,
                                     guint            members);
const char *navette_test_json_kind  (NavetteTestBody  kind);

G_END_DECLS
