/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sign-in-limit.c — the limits on failed sign-ins alone
 * (navette-sign-in-limit.h), on a clock the test moves: slots taken in
 * parallel, the per (name, address) and per address limits, the name
 * slowed down (not locked) with a delay that doubles up to its cap, the
 * addresses a user signed in from, the window, and names too long to
 * keep. The same rules through the real server: test-server-auth.c. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include "navette-sign-in-limit.h"

#define T0  ((gint64) 1000 * G_USEC_PER_SEC)
#define SEC G_USEC_PER_SEC

static gboolean
fail_once (NavetteSignInLimit *limit,
           const char         *user,
           const char         *address,
           gint64              now)
{
  if (!navette_sign_in_limit_begin (limit, user, address, now, NULL))
    return FALSE;
  navette_sign_in_limit_end (limit, user, address, NAVETTE_SIGN_IN_FAILED, now);
  return TRUE;
}

/* Twelve checks at once for one name from one address: five slots; from
 * twelve addresses: five too (the name's free failures). */
static void
test_parallel (void)
{
  g_autoptr(NavetteSignInLimit) limit = navette_sign_in_limit_new ();
  guint granted = 0;
  guint retry = 0;

  for (guint i = 0; i < 12; i++)
    granted += navette_sign_in_limit_begin (limit, "alice", "192.0.2.1", T0, &retry);
  g_assert_cmpuint (granted, ==, NAVETTE_SIGN_IN_MAX_PER_PAIR);
  g_assert_cmpuint (retry, >=, 1);
  for (guint i = 0; i < granted; i++)
    navette_sign_in_limit_end (limit, "alice", "192.0.2.1", NAVETTE_SIGN_IN_FAILED, T0);

  granted = 0;
  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *address = g_strdup_printf ("198.51.100.%u", i + 1);

      granted += navette_sign_in_limit_begin (limit, "bob", address, T0, NULL);
    }
  g_assert_cmpuint (granted, ==, NAVETTE_SIGN_IN_FREE_PER_NAME);
}

/* Past its free failures a name is slowed down: 1 s between checks, then
 * 2 s, 4 s… up to the cap, whatever the address; never locked. */
static void
test_name_slowed_down (void)
{
  g_autoptr(NavetteSignInLimit) limit = navette_sign_in_limit_new ();
  gint64 now = T0;
  gint64 expected = SEC;
  guint retry = 0;
  guint n = 0;

  for (guint i = 0; i < NAVETTE_SIGN_IN_FREE_PER_NAME; i++)
    {
      g_autofree char *address = g_strdup_printf ("203.0.113.%u", n++);

      g_assert_true (fail_once (limit, "carol", address, now));
    }
  /* the window is 5 minutes: stay in it while the delay doubles */
  while (expected < NAVETTE_SIGN_IN_MAX_DELAY_USEC)
    {
      g_autofree char *address = g_strdup_printf ("203.0.113.%u", n++);

      g_assert_false (navette_sign_in_limit_begin (limit, "carol", address, now, &retry));
      g_assert_cmpuint (retry, ==, expected / SEC);
      g_assert_false (navette_sign_in_limit_begin (limit, "carol", address, now + expected - 1, NULL));
      now += expected;
      g_assert_true (fail_once (limit, "carol", address, now));
      expected *= 2;
    }
  /* capped */
  g_assert_false (navette_sign_in_limit_begin (limit, "carol", "203.0.113.200", now, &retry));
  g_assert_cmpuint (retry, ==, NAVETTE_SIGN_IN_MAX_DELAY_USEC / SEC);
  g_assert_true (navette_sign_in_limit_begin (limit, "carol", "203.0.113.200", now + NAVETTE_SIGN_IN_MAX_DELAY_USEC,
                                              NULL));
  navette_sign_in_limit_end (limit, "carol", "203.0.113.200", NAVETTE_SIGN_IN_SUCCEEDED,
                             now + NAVETTE_SIGN_IN_MAX_DELAY_USEC);
  /* other names are not slowed down */
  g_assert_true (navette_sign_in_limit_begin (limit, "dave", "203.0.113.1", now, NULL));

  /* once the failures have left the window, nothing waits */
  g_assert_true (navette_sign_in_limit_begin (limit, "carol", "203.0.113.201",
                                              now + NAVETTE_SIGN_IN_WINDOW_USEC + 1, NULL));
}

/* An address the user signed in from is not slowed down by failures
 * elsewhere; it still has its own limits. */
static void
test_trusted_address (void)
{
  g_autoptr(NavetteSignInLimit) limit = navette_sign_in_limit_new ();

  g_assert_true (navette_sign_in_limit_begin (limit, "erin", "192.0.2.10", T0, NULL));
  navette_sign_in_limit_end (limit, "erin", "192.0.2.10", NAVETTE_SIGN_IN_SUCCEEDED, T0);
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *address = g_strdup_printf ("198.51.100.%u", i + 1);

      fail_once (limit, "erin", address, T0 + SEC);
    }
  g_assert_false (navette_sign_in_limit_begin (limit, "erin", "198.51.100.99", T0 + SEC, NULL));
  g_assert_true (navette_sign_in_limit_begin (limit, "erin", "192.0.2.10", T0 + SEC, NULL));
  navette_sign_in_limit_end (limit, "erin", "192.0.2.10", NAVETTE_SIGN_IN_SUCCEEDED, T0 + SEC);

  /* its own pair limit still holds */
  for (guint i = 0; i < NAVETTE_SIGN_IN_MAX_PER_PAIR; i++)
    g_assert_true (fail_once (limit, "erin", "192.0.2.10", T0 + 2 * SEC));
  g_assert_false (navette_sign_in_limit_begin (limit, "erin", "192.0.2.10", T0 + 2 * SEC, NULL));
}

/* The pair's limit and the address's, with Retry-After until the oldest
 * failure that counts leaves the window; the right password forgets the
 * pair's failures; malformed bodies count for the address. */
static void
test_pair_and_address (void)
{
  g_autoptr(NavetteSignInLimit) limit = navette_sign_in_limit_new ();
  guint retry = 0;

  for (guint i = 0; i < NAVETTE_SIGN_IN_MAX_PER_PAIR - 1; i++)
    g_assert_true (fail_once (limit, "frank", "192.0.2.20", T0 + i * SEC));
  g_assert_true (navette_sign_in_limit_begin (limit, "frank", "192.0.2.20", T0 + 10 * SEC, NULL));
  navette_sign_in_limit_end (limit, "frank", "192.0.2.20", NAVETTE_SIGN_IN_SUCCEEDED, T0 + 10 * SEC);
  for (guint i = 0; i < NAVETTE_SIGN_IN_MAX_PER_PAIR; i++)
    g_assert_true (fail_once (limit, "frank", "192.0.2.20", T0 + 20 * SEC));
  g_assert_false (navette_sign_in_limit_begin (limit, "frank", "192.0.2.20", T0 + 30 * SEC, &retry));
  g_assert_cmpuint (retry, ==, NAVETTE_SIGN_IN_WINDOW_USEC / SEC - 10);
  /* another name from that address is fine */
  g_assert_true (navette_sign_in_limit_begin (limit, "grace", "192.0.2.20", T0 + 30 * SEC, NULL));
  navette_sign_in_limit_end (limit, "grace", "192.0.2.20", NAVETTE_SIGN_IN_NOT_CHECKED, T0 + 30 * SEC);

  /* the address: 20 over every name, malformed bodies included */
  for (guint i = 0; i < NAVETTE_SIGN_IN_MAX_PER_ADDRESS - 1; i++)
    {
      g_autofree char *name = g_strdup_printf ("user%u", i);

      g_assert_true (navette_sign_in_limit_may_send (limit, "192.0.2.30", T0, NULL));
      g_assert_true (fail_once (limit, name, "192.0.2.30", T0));
    }
  navette_sign_in_limit_refused_body (limit, "192.0.2.30", T0);
  g_assert_false (navette_sign_in_limit_may_send (limit, "192.0.2.30", T0, &retry));
  g_assert_cmpuint (retry, ==, NAVETTE_SIGN_IN_WINDOW_USEC / SEC);
  g_assert_false (navette_sign_in_limit_begin (limit, "henry", "192.0.2.30", T0, NULL));
  g_assert_true (navette_sign_in_limit_may_send (limit, "192.0.2.31", T0, NULL));
}

/* A check that could not be made gives its slot back and counts as
 * nothing; a name too long to be a user's is counted all the same. */
static void
test_not_checked_and_long_names (void)
{
  g_autoptr(NavetteSignInLimit) limit = navette_sign_in_limit_new ();
  g_autofree char *long_name = g_strnfill (1 << 20, 'x');

  for (guint i = 0; i < 50; i++)
    {
      g_assert_true (navette_sign_in_limit_begin (limit, "ivy", "192.0.2.40", T0, NULL));
      navette_sign_in_limit_end (limit, "ivy", "192.0.2.40", NAVETTE_SIGN_IN_NOT_CHECKED, T0);
    }
  for (guint i = 0; i < NAVETTE_SIGN_IN_MAX_PER_PAIR; i++)
    g_assert_true (fail_once (limit, long_name, "192.0.2.41", T0));
  g_assert_false (navette_sign_in_limit_begin (limit, long_name, "192.0.2.41", T0, NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sign-in-limit/parallel", test_parallel);
  g_test_add_func ("/sign-in-limit/name-slowed-down", test_name_slowed_down);
  g_test_add_func ("/sign-in-limit/trusted-address", test_trusted_address);
  g_test_add_func ("/sign-in-limit/pair-and-address", test_pair_and_address);
  g_test_add_func ("/sign-in-limit/not-checked-and-long-names", test_not_checked_and_long_names);

  return g_test_run ();
}
