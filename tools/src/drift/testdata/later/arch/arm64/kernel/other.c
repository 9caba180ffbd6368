// SPDX-License-Identifier: GPL-2.0-only
// Self-made test input for tools/src/drift (not kernel code).

int other_same(int a)
{
	return a - 1;
}
