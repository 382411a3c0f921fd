/* SPDX-License-Identifier: GPL-3.0-or-later */
/* db-test-util.h — what the storage tests share: the application "shop"
 * and its table "items" (every column type), records in it, and reading
 * the table's revision and the audit trail. Asserts on every failure. */
#pragma once

#include "navette-db.h"

G_BEGIN_DECLS

/* "items": name text required max 20, price real, qty integer, ok
 * boolean, day date. */
NavetteWireTable  *db_test_items_schema   (void);
/* Adds the application "shop" and its table "items". */
void               db_test_add_shop       (NavetteDb  *db);
/* {"name": @name, "price": @price} */
JsonObject        *db_test_item           (const char *name,
                                           double      price);
/* A new record of "items", created by alice (with the id @id when given). */
NavetteWireRecord *db_test_create_item    (NavetteDb  *db,
                                           const char *id,
                                           const char *name,
                                           double      price);
gint64             db_test_items_revision (NavetteDb  *db);
/* The audit entries of @action (NULL: any) about @record (NULL: any). */
guint              db_test_count_audit    (NavetteDb  *db,
                                           const char *action,
                                           const char *record);

G_END_DECLS
