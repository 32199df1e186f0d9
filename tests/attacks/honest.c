/*
 * honest.c - the honest implementations the attack tests measure against:
 * y = 2x + 1 at fake-clock costs (tests/unit/host_backend.h).
 *
 *   ref_scale   the baseline, 4 ms
 *   ref_slow    a slower baseline, 20 ms (for 1000x claims)
 *   fast_scale  an honest candidate, 40 us: 100x ref_scale
 *   fast1000    an honest candidate, 20 us: 1000x ref_slow
 *   cheat       with -DCHEAT_COST=NS: an honest `cheat`, so that a hostile
 *               manifest's twin can be audited with the same entry names
 */
#include "attack.h"

KAUDIT_ENTRY(ref_scale) { at_scale(l, 1.0f); return 0; }
const double ref_scale_cost_ns = 4000000, ref_scale_jitter = 0.02;
KAUDIT_ENTRY(ref_slow) { at_scale(l, 1.0f); return 0; }
const double ref_slow_cost_ns = 20000000, ref_slow_jitter = 0.02;
KAUDIT_ENTRY(fast_scale) { at_scale(l, 1.0f); return 0; }
const double fast_scale_cost_ns = 40000, fast_scale_jitter = 0.02;
KAUDIT_ENTRY(fast1000) { at_scale(l, 1.0f); return 0; }
const double fast1000_cost_ns = 20000, fast1000_jitter = 0.02;
#ifdef CHEAT_COST
KAUDIT_ENTRY(cheat) { at_scale(l, 1.0f); return 0; }
const double cheat_cost_ns = CHEAT_COST, cheat_jitter = 0.02;
#endif
