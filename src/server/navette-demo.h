/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-demo.h — the demo content of `navette-server demo`.
 *
 * Exactly what ../shared/API.md's last section says: applications
 * "catalogue" (table "products") and "blog" (table "articles") with a few
 * rows each, users admin (admin), alice (editor of both) and bob (reader of
 * catalogue, no role in blog), password NAVETTE_DEMO_PASSWORD. Idempotent:
 * what exists already is left as it is (demo rows have fixed ids). */
#pragma once

#include "navette-db.h"

G_BEGIN_DECLS

#define NAVETTE_DEMO_PASSWORD "navette-demo"

/* Migrates the schema, then adds whatever part of the demo is missing. */
gboolean navette_demo_create   (NavetteDb   *db,
                                const char  *actor,
                                GError     **error);
/* Adds @n generated rows to @app/@table (in practice catalogue/products,
 * whose columns it knows; other tables get their text columns filled) in
 * one transaction: for benchmarks and tests. */
gboolean navette_demo_add_rows (NavetteDb   *db,
                                const char  *app,
                                const char  *table,
                                guint        n,
                                GError     **error);

G_END_DECLS
