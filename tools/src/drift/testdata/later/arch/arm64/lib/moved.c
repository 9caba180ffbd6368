// SPDX-License-Identifier: GPL-2.0-only
// Self-made test input for tools/src/drift (not kernel code).

static int counter;

void demo_moving(int *p)
{
	*p = counter;
	counter++;
}
