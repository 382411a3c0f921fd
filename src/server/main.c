/* SPDX-License-Identifier: GPL-3.0-or-later */
/* placeholder: being written */
int main (void);
int
main (void)
{
  return 1;
}
