// SPDX-License-Identifier: GPL-2.0-only
/*
 * The same made-up file with every comment reworded and the code reflowed: every hash must stay.
 */

#include <linux/demo.h>

#define demo_twice(x) ((x) * 2)

static int demo_counter;

/* Increments the counter by the given amount. */
static void demo_bump(int by) {
	/* a new comment */ demo_counter   +=   by;
}

#ifdef CONFIG_DEMO_FEATURE
static inline int demo_feature_level(void)
{
	int level =
		demo_twice(demo_counter);   // reflowed

	if (level > 3) level = 3;
	return level;
}
#else
static inline int demo_feature_level(void)
{
	return 0;
}
#endif

#ifndef CONFIG_DEMO_FAST
static inline void demo_flush(void) {}
#else
static inline void demo_flush(void)
{
	demo_bump( -demo_counter );
}
#endif

int __init demo_setup(void)
{
	int cpu;

	/* walk every CPU */
	for_each_possible_cpu(cpu) {
		demo_bump(cpu);
	}

	return demo_feature_level();
}

const char *demo_name(void)
{
	return "demo // not a comment /* nor this */";
}
