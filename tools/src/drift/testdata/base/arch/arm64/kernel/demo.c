// SPDX-License-Identifier: GPL-2.0-only
// Self-made test input for tools/src/drift (not kernel code).

static int counter;

/* Kept exactly as it is. */
int demo_keep(int a)
{
	return a + counter;
}

/* A comment that the later tree rewords. */
int demo_reworded(int a)
{
	/* twice */
	return a * 2;
}

int demo_changed(int a)
{
	if (a > 0)
		return a;
	return -a;
}

void demo_moving(int *p)
{
	*p = counter;
	counter++;
}

/* Long enough for a rename to be recognised by its code alone. */
int demo_old_name(int *regs, int n, int mask)
{
	int i, total = 0;

	for (i = 0; i < n; i++) {
		if (regs[i] & mask)
			total += regs[i];
		else
			total -= 1;
	}
	counter = total;
	return total;
}

void demo_hinted(void)
{
	counter = 0;
}

void demo_removed(void)
{
	counter = -1;
}

#define DEMO_MACRO_LATER(x) ((x) + 1)

int demo_becomes_macro(int x)
{
	return x + 1;
}
