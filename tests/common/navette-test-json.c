/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-test-json.c — JSON bodies built to collide (see the header). */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>

#include "navette-test-json.h"

#define SUFFIX  7
#define LOW     93    /* ']' */
#define HIGH    126   /* '~': 34 values, enough for digits in base 33 */

static guint32
djb (const char *text)
{
  guint32 h = 5381;

  for (; *text != '\0'; text++)
    h = h * 33 + (guint32) (gint32) (signed char) *text;
  return h;
}

void
navette_test_json_name (guint32 index,
                        guint32 hash,
                        char    out[13])
{
  guint64 weight[SUFFIX];
  guint64 rest[SUFFIX + 1];   /* rest[k]: 33^0 + … + 33^(k-1) */
  guint64 sum;
  guint32 h0;

  g_assert (index < (1u << 20));
  g_snprintf (out, 6, "%05x", index);
  h0 = djb (out);

  weight[SUFFIX - 1] = 1;
  for (int i = SUFFIX - 2; i >= 0; i--)
    weight[i] = weight[i + 1] * 33;
  rest[0] = 0;
  for (int i = 1; i <= SUFFIX; i++)
    rest[i] = rest[i - 1] * 33 + 1;

  /* h = h0 * 33^7 + sum of c_i * 33^(6-i) (mod 2^32): pick the sum in
   * the reachable range, then its digits from the top. */
  sum = (guint32) (hash - h0 * (guint32) (weight[0] * 33));
  while (sum < LOW * rest[SUFFIX])
    sum += G_GUINT64_CONSTANT (1) << 32;
  g_assert (sum <= HIGH * rest[SUFFIX]);
  for (int i = 0; i < SUFFIX; i++)
    {
      guint64 below = rest[SUFFIX - 1 - i];
      guint64 c = sum > HIGH * below ? (sum - HIGH * below + weight[i] - 1) / weight[i] : 0;

      c = MAX (c, LOW);
      g_assert (c <= HIGH && sum >= c * weight[i] + LOW * below);
      out[5 + i] = (char) c;
      sum -= c * weight[i];
    }
  out[12] = '\0';
  g_assert (sum == 0);
  g_assert (djb (out) == hash);
}

/* The primes of the last two tables GLib's GHashTable passes through
 * while it receives @members entries (ghash.c: a table of 2^shift slots
 * indexes with (hash * 11) % prime_mod[shift]; it grows when it is 16/17
 * full, to the power of two above 4/3 of its entries). */
static void
last_primes (guint    members,
             guint32 *prime,
             guint32 *previous)
{
  static const guint32 prime_mod[] = {
    1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749,
  };
  guint shift = 3, size = 8;

  *previous = prime_mod[shift];
  for (guint n = 1; n <= members; n++)
    if (size <= n + n / 16)
      {
        guint wanted = n * 4 / 3;

        for (shift = 0; wanted != 0; shift++)
          wanted >>= 1;
        g_assert (shift < G_N_ELEMENTS (prime_mod));
        size = 1u << shift;
        *previous = *prime;
        *prime = prime_mod[shift];
      }
}

/* the hash of name @i of an object of @kind */
static guint32
hash_for (NavetteTestBody kind,
          guint           i,
          guint           members,
          GRand          *rand)
{
  static guint32 inverse11;
  guint32 prime = 7, previous = 7;

  if (inverse11 == 0)
    for (guint32 x = 1; ; x += 2)
      if (x * 11u == 1u)
        {
          inverse11 = x;
          break;
        }

  switch (kind)
    {
    case NAVETTE_TEST_BODY_ORDINARY:
      return g_rand_int (rand);
    case NAVETTE_TEST_BODY_SAME_HASH:
    case NAVETTE_TEST_BODY_SAME_HASH_ONE_OBJECT:
      return 0x5eed5eed;
    case NAVETTE_TEST_BODY_SAME_BUCKET:
      /* (hash * 11) a multiple of both primes: slot 0 of both tables */
      last_primes (members, &prime, &previous);
      return ((i / 4 + 1) * prime * previous) * inverse11;
    default:
      g_assert_not_reached ();
    }
}

GString *
navette_test_json_body (NavetteTestBody kind,
                        gsize           size,
                        guint           members)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (15);
  gboolean one_object = kind == NAVETTE_TEST_BODY_SAME_HASH_ONE_OBJECT;
  const char *closing = one_object ? "}" : "}]}";
  GString *out = g_string_sized_new (size);
  char name[13];

  g_string_append (out, one_object ? "{" : "{\"x\":[{");
  for (guint i = 0; ; i++)
    {
      gboolean next_object = !one_object && i > 0 && i % members == 0;
      const char *separator = i == 0 ? "" : next_object ? "},{" : ",";
      gsize member_len = strlen (separator) + sizeof name - 1 + strlen ("\"\":0");

      if (out->len + member_len + strlen (closing) > size)
        break;
      navette_test_json_name (i, hash_for (kind, i % members, members, rand), name);
      g_string_append_printf (out, "%s\"%s\":0", separator, name);
    }
  g_string_append (out, closing);
  g_assert (out->len <= size);
  return out;
}

const char *
navette_test_json_kind (NavetteTestBody kind)
{
  switch (kind)
    {
    case NAVETTE_TEST_BODY_ORDINARY:
      return "ordinary";
    case NAVETTE_TEST_BODY_SAME_HASH:
      return "same-hash";
    case NAVETTE_TEST_BODY_SAME_HASH_ONE_OBJECT:
      return "same-hash-one-object";
    case NAVETTE_TEST_BODY_SAME_BUCKET:
      return "same-bucket";
    default:
      g_assert_not_reached ();
    }
}
