// SPDX-License-Identifier: GPL-2.0-only
// Self-made test input for tools/src/drift (not kernel code).

static int counter;

/* Kept exactly as it is. */
int demo_keep(int a)
{
	return a + counter;
}

/* The same function, described in other words. */
int demo_reworded(int a)
{
	return a * 2;	/* doubled */
}

int demo_changed(int a, int b)
{
	if (a > b)
		return a;
	return b - a;
}

/* Renamed, with its code as it was but for one line. */
int demo_new_name(int *regs, int n, int mask)
{
	int i, total = 0;

	for (i = 0; i < n; i++) {
		if (regs[i] & mask)
			total += regs[i];
		else
			total -= 2;
	}
	counter = total;
	return total;
}

void demo_hint_target(void)
{
	counter = 0;
	counter++;
}

#define demo_becomes_macro(x) ((x) + 1)

int demo_brand_new(void)
{
	return 42;
}
