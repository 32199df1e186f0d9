/*
 * rng.h - the counter-based generator behind every input kaudit makes.
 *
 * Element i of a buffer filled with seed s is a pure function of (s, i), so
 * the host test double and the CUDA helpers produce the same values, any
 * element can be recomputed from the seed recorded in the trace, and the
 * device fills buffers in parallel without generator state.
 * splitmix64's finaliser is the hash: it passes BigCrush as a counter-based
 * generator and costs a few multiplies.
 */
#ifndef KAUDIT_RNG_H
#define KAUDIT_RNG_H

#include <stdint.h>

/* The distributions an input buffer can be filled with (claim.h names
 * them for manifests as enum claim_dist, the same values). */
enum rng_dist {
	RNG_DIST_DEFAULT,  /* normal(0,1) for floats, randint(-100,100) for integers */
	RNG_DIST_NORMAL,   /* a = mean, b = std */
	RNG_DIST_UNIFORM,  /* a = low, b = high */
	RNG_DIST_RANDINT,  /* a = low, b = high (inclusive) */
	RNG_DIST_ARANGE,   /* 0, 1, 2, ... */
	RNG_DIST_CONSTANT  /* a = value */
};

#ifdef __CUDACC__
#define RNG_FN static inline __host__ __device__
#else
#define RNG_FN static inline
#endif

RNG_FN uint64_t rng_hash(uint64_t seed, uint64_t index)
{
	uint64_t z = seed + (index + 1) * 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1) with 53 random bits; stream selects independent draws
 * for the same element (Box-Muller needs two). */
RNG_FN double rng_uniform(uint64_t seed, uint64_t index, uint64_t stream)
{
	uint64_t h = rng_hash(seed ^ (stream * 0xd1b54a32d192ed03ULL), index);
	return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

/* Standard normal by Box-Muller; log of 1-u keeps the argument in (0, 1]. */
RNG_FN double rng_normal(uint64_t seed, uint64_t index)
{
	double u1 = rng_uniform(seed, index, 1);
	double u2 = rng_uniform(seed, index, 2);
#ifdef __CUDACC__
	return sqrt(-2.0 * log(1.0 - u1)) * cospi(2.0 * u2);
#else
	return __builtin_sqrt(-2.0 * __builtin_log(1.0 - u1)) *
	       __builtin_cos(2.0 * 3.14159265358979323846 * u2);
#endif
}

/* Integer in [low, high] (inclusive). */
RNG_FN int64_t rng_randint(uint64_t seed, uint64_t index, int64_t low, int64_t high)
{
	uint64_t span = (uint64_t)(high - low) + 1;
	uint64_t h = rng_hash(seed ^ 0x632be59bd9b4e019ULL, index);
	return span ? low + (int64_t)(h % span) : (int64_t)h;
}

/* Element I of a buffer initialised with DIST(A, B) (enum rng_dist;
 * RNG_DIST_DEFAULT picks normal(0,1) for floats and
 * randint(-100,100) for integers), before conversion to the dtype.  The
 * GPU plugin and the host test double both call this, so they agree. */
RNG_FN double rng_init_value(uint64_t seed, uint64_t i, int dist, double a, double b,
			     int is_float)
{
	if (dist == RNG_DIST_DEFAULT) {
		dist = is_float ? RNG_DIST_NORMAL : RNG_DIST_RANDINT;
		a = is_float ? 0.0 : -100.0;
		b = is_float ? 1.0 : 100.0;
	}
	switch (dist) {
	case RNG_DIST_NORMAL:
		return a + b * rng_normal(seed, i);
	case RNG_DIST_UNIFORM:
		return a + (b - a) * rng_uniform(seed, i, 0);
	case RNG_DIST_RANDINT:
		return (double)rng_randint(seed, i, (int64_t)a, (int64_t)b);
	case RNG_DIST_ARANGE:
		return (double)i;
	default: /* RNG_DIST_CONSTANT */
		return a;
	}
}

/* A generated value stored in an integer dtype: rounded to nearest even,
 * saturated to [LO, HI], NaN as 0.  For i64, HI is the largest double below
 * 2^63, which is not representable. */
RNG_FN int64_t rng_saturate(double v, double lo, double hi)
{
	if (v != v)
		return 0;
#ifdef __CUDACC__
	v = rint(v);
#else
	v = __builtin_rint(v);
#endif
	if (v < lo)
		v = lo;
	if (v > hi)
		v = hi;
	return (int64_t)v;
}

/* A 64-bit hash of (root, a, b): poison patterns, bootstrap streams. */
RNG_FN uint64_t rng_derive(uint64_t root, uint64_t a, uint64_t b)
{
	return rng_hash(rng_hash(root, a), b);
}

/*
 * Every seed kaudit draws (the audit's root seed, each case's seed, each
 * trial's input seeds) lies in [0, 2^53): a trace stores seeds as JSON
 * integers, and a reader that holds numbers as doubles (jq 1.6, JavaScript)
 * gets such an integer exactly.  rng_seed() is the one place a seed is cut
 * to 53 bits: the top bits of BITS, the best mixed ones of rng_hash.
 */
#define RNG_SEED_BITS 53
#define RNG_SEED_LIMIT (1ULL << RNG_SEED_BITS) /* every seed is below this */

RNG_FN uint64_t rng_seed(uint64_t bits)
{
	return bits >> (64 - RNG_SEED_BITS);
}

/* Seed of a derived stream (case c of the root, input i of trial t of a
 * case), so every input can be regenerated from the audit's root seed. */
RNG_FN uint64_t rng_derive_seed(uint64_t root, uint64_t a, uint64_t b)
{
	return rng_seed(rng_derive(root, a, b));
}

#endif
