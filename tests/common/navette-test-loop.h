/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-test-loop.h — waiting for an async result on the default main
 * context (never sleeping), for every test that calls an _async API. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A GAsyncReadyCallback that stores a ref of the result in
 * *(GAsyncResult **) @user_data; navette_test_result_ready() is its
 * condition. */
void          navette_test_store_result_cb (GObject       *object,
                                            GAsyncResult  *result,
                                            gpointer       user_data);
gboolean      navette_test_result_ready    (gpointer       data);
/* Iterates the default main context until *@result is set (by
 * navette_test_store_result_cb) and returns it; fails the test naming
 * @what after 30 s. */
GAsyncResult *navette_test_wait_result     (GAsyncResult **result,
                                            const char    *what);

G_END_DECLS
