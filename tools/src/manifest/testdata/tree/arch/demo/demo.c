// SPDX-License-Identifier: GPL-2.0-only
/* A made-up file in kernel style, for the manifest tool's tests. Not kernel text. */

#include <linux/demo.h>

#define demo_twice(x) ((x) * 2)

static int demo_counter;

/* Adds one to the counter. */
static void demo_bump(int by)
{
	demo_counter += by; // the only side effect
}

#ifdef CONFIG_DEMO_FEATURE
static inline int demo_feature_level(void)
{
	int level = demo_twice(demo_counter);

	if (level > 3)
		level = 3;
	return level;
}
#else
static inline int demo_feature_level(void) { return 0; }
#endif

#ifndef CONFIG_DEMO_FAST
static inline void demo_flush(void) { }
#else
static inline void demo_flush(void)
{
	demo_bump(-demo_counter);
}
#endif

int __init demo_setup(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		demo_bump(cpu);
	}
	return demo_feature_level();
}

const char *demo_name(void)
{
	return "demo // not a comment /* nor this */";
}
