/*
 * wrong.c - a candidate that is simply wrong (y = 2x + 1.5 for y = 2x + 1),
 * at a fake cost of -DCOST nanoseconds: the case a forger wants to pass.
 */
#include "attack.h"

KAUDIT_ENTRY(cheat) { at_scale(l, 1.5f); return 0; }
const double cheat_cost_ns = COST, cheat_jitter = 0.02;
