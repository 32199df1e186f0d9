/*
 * tables.c - the manifest's fixed vocabularies: dtypes, roles, verdicts,
 * and the default tolerance of each dtype.
 */
#include "claim/claim_private.h"

#include <string.h>

#include "kaudit/launcher.h"

struct dtype_info {
	const char *name;
	size_t size;
	int is_float;
	int64_t lo, hi; /* integer range */
};

/* Indexed by enum kaudit_dtype. */
static const struct dtype_info dtypes[] = {
	[KAUDIT_F16] = { "f16", 2, 1, 0, 0 },
	[KAUDIT_BF16] = { "bf16", 2, 1, 0, 0 },
	[KAUDIT_F32] = { "f32", 4, 1, 0, 0 },
	[KAUDIT_F64] = { "f64", 8, 1, 0, 0 },
	[KAUDIT_I8] = { "i8", 1, 0, INT8_MIN, INT8_MAX },
	[KAUDIT_U8] = { "u8", 1, 0, 0, UINT8_MAX },
	[KAUDIT_I16] = { "i16", 2, 0, INT16_MIN, INT16_MAX },
	[KAUDIT_I32] = { "i32", 4, 0, INT32_MIN, INT32_MAX },
	[KAUDIT_I64] = { "i64", 8, 0, INT64_MIN, INT64_MAX },
	[KAUDIT_U32] = { "u32", 4, 0, 0, UINT32_MAX },
};
#define NDTYPES (sizeof dtypes / sizeof dtypes[0])

const char claim_dtype_names[] = "f16 bf16 f32 f64 i8 u8 i16 i32 i64 u32";

int claim_dtype_parse(const char *name)
{
	for (size_t i = 0; i < NDTYPES; i++)
		if (strcmp(dtypes[i].name, name) == 0)
			return (int)i;
	return -1;
}

static const struct dtype_info *dtype_get(int dtype)
{
	return dtype >= 0 && (size_t)dtype < NDTYPES ? &dtypes[dtype] : NULL;
}

const char *claim_dtype_name(int dtype)
{
	const struct dtype_info *d = dtype_get(dtype);
	return d ? d->name : NULL;
}

size_t claim_dtype_size(int dtype)
{
	const struct dtype_info *d = dtype_get(dtype);
	return d ? d->size : 0;
}

int claim_dtype_is_float(int dtype)
{
	const struct dtype_info *d = dtype_get(dtype);
	return d ? d->is_float : 0;
}

int claim_dtype_int_range(int dtype, int64_t *lo, int64_t *hi)
{
	const struct dtype_info *d = dtype_get(dtype);
	if (!d || d->is_float)
		return 0;
	*lo = d->lo;
	*hi = d->hi;
	return 1;
}

/* DESIGN section 3: wide enough for the rounding of each format. */
struct claim_tolerance claim_tolerance_for(const struct claim_kernel *k, int dtype)
{
	if (k && k->tolerance.set)
		return k->tolerance;
	struct claim_tolerance t = { 0, 0.0, 0.0 };
	switch (dtype) {
	case KAUDIT_F64:
		t.rtol = 1e-9;
		t.atol = 1e-12;
		break;
	case KAUDIT_F32:
		t.rtol = 1e-5;
		t.atol = 1e-6;
		break;
	case KAUDIT_F16:
	case KAUDIT_BF16:
		t.rtol = 1e-2;
		t.atol = 1e-3;
		break;
	default: /* integers: exact */
		break;
	}
	return t;
}

const char *claim_role_name(enum claim_role r)
{
	switch (r) {
	case CLAIM_IN:
		return "in";
	case CLAIM_OUT:
		return "out";
	case CLAIM_INOUT:
		return "inout";
	}
	return "?";
}

static int in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static const char *const verdicts[] = {
	"reproduced", "not-reproduced", "invalid", "inconclusive", "error", NULL
};
const char claim_verdict_names[] = "reproduced not-reproduced invalid inconclusive error";

int claim_verdict_known(const char *v)
{
	return in_list(verdicts, v);
}
