/*
 * test_record.c - the record codec: every record type round-trips through
 * JSON byte for byte (the lines below are the canonical encoding that
 * kaudit-trace(5) documents, every field set), both decoders agree, and
 * bad input is refused with a message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trace/record.h"

/* One canonical line per record type, every field present, table order. */
static const char *const lines[REC_NTYPES] = {
	[REC_HEADER] = "{\"type\":\"header\",\"id\":0,\"format\":\"kaudit-trace\",\"version\":1,"
		"\"tool\":\"0.1.0\",\"time\":\"2026-11-26T08:00:00Z\",\"host\":\"h\",\"synthetic\":true,"
		"\"root_seed\":42,\"manifest_path\":\"c.yaml\",\"manifest\":\"kaudit: 1\\n\","
		"\"manifest_sha256\":\"ab\",\"sources\":[{\"impl\":\"baseline\",\"text\":\"x\"}],"
		"\"binaries\":[],\"pubkey\":\"-----BEGIN PUBLIC KEY-----\\n\",\"margin\":0.1,"
		"\"build\":{\"commit\":\"99b130f\",\"cuda\":\"13.0.88\"},"
		"\"observe\":{\"argv\":[\"python3\",\"bench.py\"],\"status\":0}}",
	[REC_DEVICE] = "{\"type\":\"device\",\"id\":1,\"phase\":\"setup\",\"name\":\"NVIDIA H100\","
		"\"uuid\":\"GPU-1\",\"cc\":\"9.0\",\"sms\":132,\"mem_bytes\":85520809984,"
		"\"l2_bytes\":52428800,\"sm_clock_mhz\":1980,\"mem_clock_mhz\":2619,"
		"\"max_sm_clock_mhz\":1980,\"throttle\":0,\"peak_bw\":2.91e12,"
		"\"peak_flops\":6.69e13,\"driver\":\"560.35.03\",\"runtime\":\"12.6\","
		"\"cupti\":\"24\",\"nvcc\":\"12.6\",\"ecc\":true,\"persistence\":false,"
		"\"extra\":{\"nvml\":false}}",
	[REC_BUILD] = "{\"type\":\"build\",\"id\":2,\"phase\":\"setup\",\"impl\":\"candidate\","
		"\"kernel\":\"k\",\"source\":\"k.cu\",\"sha256\":\"aa\",\"so_sha256\":\"bb\","
		"\"flags\":[\"-O3\"],\"nvcc\":\"/usr/bin/nvcc\",\"cached\":false,\"ok\":true,"
		"\"log\":\"warning: x\"}",
	[REC_CASE] = "{\"type\":\"case\",\"id\":3,\"case\":0,\"phase\":\"setup\",\"kernel\":\"k\","
		"\"params\":{\"N\":4096},\"buffers\":[{\"name\":\"x\"}],\"seed\":7,\"claimed\":12.5,"
		"\"rtol\":1e-5,\"atol\":1e-6,\"deterministic\":true,\"work_bytes\":1024,"
		"\"work_flops\":2048,\"expect\":\"reproduced\"}",
	[REC_API] = "{\"type\":\"api\",\"id\":4,\"case\":0,\"phase\":\"timing\",\"impl\":\"baseline\","
		"\"call\":3,\"name\":\"cudaLaunchKernel\",\"thread\":4242,\"start\":1764144000000000000,"
		"\"end\":1764144000000002000,\"ns\":2000,\"corr\":17,\"stream\":13,\"event\":5,\"in_call\":true,"
		"\"pid\":4321,\"result\":0}",
	[REC_KERNEL] = "{\"type\":\"kernel\",\"id\":5,\"case\":0,\"phase\":\"timing\","
		"\"impl\":\"candidate\",\"call\":3,\"name\":\"softmax\",\"stream\":13,"
		"\"start\":1764144000000002834,\"end\":1764144000000005750,\"ns\":2916,\"corr\":17,\"device\":0,"
		"\"grid\":[4096,1,1],\"block\":[256,1,1],\"smem\":0,\"regs\":32,"
		"\"pid\":4321,\"graph\":3}",
	[REC_MEMCPY] = "{\"type\":\"memcpy\",\"id\":6,\"case\":1,\"phase\":\"correctness\","
		"\"impl\":\"harness\",\"kind\":\"DtoD\",\"bytes\":4096,\"stream\":7,\"start\":100,"
		"\"end\":200,\"ns\":100,\"corr\":9,\"pid\":4321,\"graph\":3}",
	[REC_MEMSET] = "{\"type\":\"memset\",\"id\":7,\"case\":1,\"bytes\":4096,\"value\":255,"
		"\"stream\":7,\"start\":300,\"end\":400,\"ns\":100,\"corr\":10,\"pid\":4321,"
		"\"graph\":3}",
	[REC_EVENT] = "{\"type\":\"event\",\"id\":8,\"case\":1,\"phase\":\"timing\",\"impl\":\"harness\","
		"\"call\":4,\"event\":1,\"stream\":13,\"ts\":500,\"corr\":11,\"role\":\"start\",\"pid\":4321}",
	[REC_SYNC] = "{\"type\":\"sync\",\"id\":9,\"case\":1,\"kind\":\"stream_wait\",\"stream\":13,"
		"\"event\":2,\"start\":600,\"end\":700,\"ns\":100,\"corr\":12,\"pid\":4321}",
	[REC_ALLOC] = "{\"type\":\"alloc\",\"id\":10,\"case\":1,\"kind\":\"alloc\",\"memory\":\"device\","
		"\"address\":139637976727552,\"bytes\":1048576,\"ts\":800,\"corr\":13}",
	[REC_CHECK] = "{\"type\":\"check\",\"id\":11,\"case\":1,\"phase\":\"correctness\","
		"\"impl\":\"candidate\",\"call\":5,\"kind\":\"compare\",\"trial\":2,\"buffer\":\"y\","
		"\"ok\":false,\"seed\":77,\"max_abs\":3.21,\"max_rel\":1.0,\"rel_l2\":0.98,"
		"\"count\":1024,\"mismatches\":1000,\"unwritten\":0,\"detail\":{\"ref_min\":-4.5}}",
	[REC_SAMPLE] = "{\"type\":\"sample\",\"id\":12,\"case\":1,\"phase\":\"timing\","
		"\"impl\":\"baseline\",\"call\":6,\"round\":0,\"index\":3,\"input_set\":1,"
		"\"event_ns\":232550.0,\"span_ns\":230250.0,\"window_start\":1000,"
		"\"window_end\":233550,\"span_start\":2500,\"span_end\":232750,\"kernels\":1,"
		"\"kernel_ns\":230250.0,\"bytes\":0,\"checked\":false,\"traced\":true}",
	[REC_FINDING] = "{\"type\":\"finding\",\"id\":13,\"case\":1,\"phase\":\"analysis\","
		"\"impl\":\"candidate\",\"code\":\"stale-output\",\"severity\":\"invalidating\","
		"\"trial\":3,\"sample\":4,\"message\":\"output equals the old answer\","
		"\"evidence\":{\"records\":[11]}}",
	[REC_VERDICT] = "{\"type\":\"verdict\",\"id\":14,\"case\":1,\"phase\":\"analysis\","
		"\"kernel\":\"k\",\"verdict\":\"invalid\",\"claimed\":12.0,\"measured\":12.26,"
		"\"ci_low\":11.89,\"ci_high\":12.63,\"baseline_ns\":182490.0,\"candidate_ns\":17030.0,"
		"\"reason\":\"stale-output\",\"params\":{\"N\":8192},\"findings\":[\"stale-output\"]}",
	[REC_ERROR] = "{\"type\":\"error\",\"id\":15,\"case\":2,\"phase\":\"correctness\","
		"\"where\":\"crash\",\"message\":\"worker killed by SIGSEGV\",\"signal\":11,\"status\":-1}",
	[REC_DROPPED] = "{\"type\":\"dropped\",\"id\":16,\"case\":2,\"count\":12,\"source\":\"cupti\"}",
	[REC_SANDBOX] = "{\"type\":\"sandbox\",\"id\":19,\"case\":2,\"phase\":\"setup\","
		"\"process\":\"worker\",\"no_new_privs\":true,\"seccomp\":true,\"landlock\":false,"
		"\"landlock_abi\":0,\"signals_scoped\":false,\"net_restricted\":false,"
		"\"refused\":[{\"layer\":\"landlock\",\"why\":\"landlock_create_ruleset(VERSION): "
		"Function not implemented\"}],\"skipped_paths\":1}",
	[REC_PROCESS] = "{\"type\":\"process\",\"id\":20,\"pid\":4321,\"ppid\":4320,"
		"\"exe\":\"/usr/bin/python3\",\"subscribed\":false,\"message\":\"cuptiSubscribe: "
		"CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED\",\"cupti\":\"130001\",\"ts\":900}",
	[REC_ELAPSED] = "{\"type\":\"elapsed\",\"id\":21,\"name\":\"cudaEventElapsedTime\","
		"\"pid\":4321,\"thread\":4322,\"start\":1000,\"end\":1100,\"ns\":100,\"corr\":30,"
		"\"start_event\":94000000000,\"stop_event\":94000000016,\"ms\":0.0052,\"result\":0}",
	[REC_FOOTER] = "{\"type\":\"footer\",\"id\":17,\"records\":17,\"sha256\":\"00ff\"}",
	[REC_SIGNATURE] = "{\"type\":\"signature\",\"id\":18,\"dsse\":{\"payloadType\":\"x\","
		"\"payload\":\"e30=\",\"signatures\":[]}}",
};

static void every_type_round_trips(void **state)
{
	(void)state;
	for (int t = 0; t < REC_NTYPES; t++) {
		const char *l = lines[t];
		assert_non_null(l); /* a new record type needs a line here */
		struct record r, copy;
		struct errbuf e = { "", 0 };
		assert_int_equal(record_decode_line(l, strlen(l), &r, &e), 0);
		assert_int_equal(r.type, t);
		assert_string_equal(record_type_name(r.type), record_type_name((enum record_type)t));
		char *out;
		size_t n;
		record_copy(&copy, &r); /* the deep copy encodes identically */
		record_clear(&r);
		assert_int_equal(record_encode_line(&copy, &out, &n), 0);
		assert_int_equal(out[n - 1], '\n');
		out[n - 1] = '\0';
		assert_string_equal(out, l);
		free(out);
		record_clear(&copy);
	}
}

/* header.build says which kaudit wrote a trace; a trace older than the
 * field still decodes, with no build. */
static void header_build_is_optional(void **state)
{
	(void)state;
	struct record r;
	struct errbuf e = { "", 0 };
	const char *with = lines[REC_HEADER];
	assert_int_equal(record_decode_line(with, strlen(with), &r, &e), 0);
	assert_non_null(r.u.header.build);
	assert_string_equal(json_string_value(json_object_get(r.u.header.build, "commit")),
			    "99b130f");
	assert_string_equal(json_string_value(json_object_get(r.u.header.build, "cuda")),
			    "13.0.88");
	record_clear(&r);
	const char *old = "{\"type\":\"header\",\"id\":0,\"format\":\"kaudit-trace\","
			  "\"version\":1,\"tool\":\"0.1.0\",\"time\":\"2026-11-26T08:00:00Z\"}";
	assert_int_equal(record_decode_line(old, strlen(old), &r, &e), 0);
	assert_null(r.u.header.build);
	record_clear(&r);
}

/* The fast flat decoder and jansson's decode LINE to records that encode
 * to the same bytes. */
static void assert_decoders_agree(const char *line)
{
	struct record a, b;
	struct errbuf e;
	assert_int_equal(record_decode_line(line, strlen(line), &a, &e), 0);
	assert_int_equal(record_decode_line_general(line, strlen(line), &b, &e), 0);
	char *la, *lb;
	size_t na, nb;
	assert_int_equal(record_encode_line(&a, &la, &na), 0);
	assert_int_equal(record_encode_line(&b, &lb, &nb), 0);
	assert_string_equal(la, lb);
	free(la);
	free(lb);
	record_clear(&a);
	record_clear(&b);
}

static void both_decoders_agree(void **state)
{
	(void)state;
	for (int t = 0; t < REC_NTYPES; t++)
		assert_decoders_agree(lines[t]);
	/* Nested values: the fast path cuts them out and parses them alone. */
	assert_decoders_agree("{\"type\":\"case\",\"case\":3,\"kernel\":\"k\",\"params\":"
			      "{\"N\":4096,\"s\":\"a}]\\\"[{\\u00e9\",\"l\":[1,[2.5,{}]]},"
			      "\"buffers\":[],\"seed\":7}");
	assert_decoders_agree("{\"type\":\"verdict\",\"case\":0,\"verdict\":\"invalid\","
			      "\"findings\":[\"stale-output\",\"x\"]}");
}

static void expect_error(const char *line, const char *fragment)
{
	struct record r;
	struct errbuf e = { "", 0 };
	assert_int_equal(record_decode_line(line, strlen(line), &r, &e), -1);
	assert_int_equal(e.code, EXIT_BAD_INPUT);
	if (!strstr(e.msg, fragment))
		fail_msg("'%s': message '%s' lacks '%s'", line, e.msg, fragment);
}

static void bad_records_are_refused(void **state)
{
	(void)state;
	expect_error("{\"type\":\"kernel\",\"name\":\"k\",\"start\":1}", "missing 'end'");
	expect_error("{\"type\":\"kernel\",\"name\":\"k\",\"start\":1,\"end\":\"2\"}", "wrong type");
	expect_error("{\"type\":\"kernel\",\"name\":\"k\",\"start\":1.5,\"end\":2}", "wrong type");
	expect_error("{\"type\":\"kernel\",\"name\":\"k\",\"start\":1,\"end\":2,\"end\":3}",
		     "invalid JSON");
	expect_error("{\"type\":\"kernel\",\"name\":\"k\",\"start\":99999999999999999999,\"end\":2}",
		     "invalid JSON");
	expect_error("{\"type\":\"bogus\"}", "unknown record type");
	/* A nested value's own faults: the general path names them. */
	expect_error("{\"type\":\"case\",\"kernel\":\"k\",\"params\":{\"N\":1,\"N\":2}}",
		     "invalid JSON");
	expect_error("{\"type\":\"case\",\"kernel\":\"k\",\"params\":{\"N\":1]}", "invalid JSON");
	expect_error("{\"type\":\"case\",\"kernel\":\"k\",\"params\":{\"N\":\"\\u0000\"}}",
		     "invalid JSON");
	expect_error("{\"type\":\"header\",\"version\":1,\"tool\":\"t\",\"time\":\"x\"}", "format");
	expect_error("{\"type\":\"api\",\"name\":\"x\",\"phase\":\"lunch\"}", "unknown phase");
	expect_error("{\"type\":\"sandbox\",\"process\":\"worker\",\"no_new_privs\":true,"
		     "\"seccomp\":true}", "missing 'landlock'");
	expect_error("{\"type\":\"sandbox\",\"process\":\"worker\",\"no_new_privs\":true,"
		     "\"seccomp\":1,\"landlock\":true}", "wrong type");
	expect_error("[1,2]", "not a JSON object");
	expect_error("{\"type\":\"kernel\",\"name\":\"k\",\"start\":1,\"end\":2} x", "invalid JSON");
}

static void flat_edge_values_match_jansson(void **state)
{
	(void)state;
	static const char *const ok[] = {
		"{\"type\":\"memset\",\"bytes\":-9223372036854775807,\"start\":9223372036854775807,\"end\":0}",
		"{\"type\":\"sample\",\"event_ns\":-0,\"span_ns\":1e3,\"kernel_ns\":2.5E-3}",
		"{\"type\":\"sample\",\"event_ns\":123456789012345678}",
		"{\"type\":\"kernel\",\"name\":\"a\\\"b\\u00e9\",\"start\":1,\"end\":2}",
		"{ \"type\":\"dropped\",\"count\":1}",
		/* A sandbox with every layer in force takes the flat path. */
		"{\"type\":\"sandbox\",\"process\":\"nvcc\",\"no_new_privs\":true,"
		"\"seccomp\":true,\"landlock\":true,\"landlock_abi\":7,\"signals_scoped\":true,"
		"\"net_restricted\":true,\"skipped_paths\":0}",
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		assert_decoders_agree(ok[i]);
}

/* Encodes R's line into OUT (caller frees). */
static char *encode(const char *line)
{
	struct record r;
	struct errbuf e = { "", 0 };
	assert_int_equal(record_decode_line(line, strlen(line), &r, &e), 0);
	char *out;
	size_t n;
	assert_int_equal(record_encode_line(&r, &out, &n), 0);
	record_clear(&r);
	return out;
}

/* "ns" is end - start, written exactly (timestamps beyond 2^53 lose it in
 * a reader that uses doubles), omitted where it is undefined, and a line
 * whose ns disagrees is refused by both decoders. */
static void ns_is_end_minus_start(void **state)
{
	(void)state;
	/* Written from start and end, also for a line that had none. */
	char *out = encode("{\"type\":\"kernel\",\"name\":\"k\",\"start\":1764144000000001500,"
			   "\"end\":1764144000000099500}");
	assert_non_null(strstr(out, "\"end\":1764144000000099500,\"ns\":98000}"));
	free(out);
	/* Undefined: end before start, a difference beyond int64, no start. */
	out = encode("{\"type\":\"memcpy\",\"bytes\":1,\"start\":5,\"end\":4}");
	assert_null(strstr(out, "\"ns\""));
	free(out);
	out = encode("{\"type\":\"memset\",\"bytes\":1,\"start\":-9223372036854775807,"
		     "\"end\":9223372036854775807}");
	assert_null(strstr(out, "\"ns\""));
	free(out);
	out = encode("{\"type\":\"api\",\"name\":\"x\",\"end\":9}");
	assert_null(strstr(out, "\"ns\""));
	free(out);
	out = encode("{\"type\":\"sync\",\"kind\":\"stream\",\"start\":0,"
		     "\"end\":9223372036854775807}");
	assert_non_null(strstr(out, "\"ns\":9223372036854775807"));
	free(out);

	/* A correct ns anywhere in the line is accepted by both paths. */
	assert_decoders_agree("{\"type\":\"kernel\",\"name\":\"k\",\"ns\":98000,"
			      "\"start\":1764144000000001500,\"end\":1764144000000099500}");
	assert_decoders_agree(lines[REC_KERNEL]);

	/* A wrong one is refused, however it is written. */
	expect_error("{\"type\":\"kernel\",\"id\":7,\"name\":\"k\",\"start\":1764144000000001500,"
		     "\"end\":1764144000000099500,\"ns\":97792}",
		     "kernel record 7: ns 97792 is not end - start (98000)");
	expect_error("{\"type\":\"kernel\",\"name\":\"k\",\"ns\":1,\"start\":1,\"end\":3}",
		     "ns 1 is not end - start (2)");
	expect_error("{\"type\":\"memcpy\",\"bytes\":1,\"start\":5,\"end\":4,\"ns\":-1}",
		     "is not end - start");
	expect_error("{\"type\":\"api\",\"name\":\"x\",\"end\":9,\"ns\":9}",
		     "is not end - start");
	expect_error("{\"type\":\"api\",\"name\":\"x\",\"start\":1,\"end\":9,"
		     "\"ns\":-9223372036854775808}", "is not end - start");
	expect_error("{\"type\":\"memset\",\"bytes\":1,\"start\":1,\"end\":9,\"ns\":8.0}",
		     "'ns' has the wrong type");
	/* The general path alone refuses it too (the fast one falls back). */
	struct record r;
	struct errbuf e = { "", 0 };
	const char *bad = "{\"type\":\"sync\",\"kind\":\"stream\",\"start\":1,\"end\":2,\"ns\":2}";
	assert_int_equal(record_decode_line_general(bad, strlen(bad), &r, &e), -1);
	assert_non_null(strstr(e.msg, "is not end - start"));
}

static void list_sink_copies(void **state)
{
	(void)state;
	struct record_list l = { 0 };
	struct record r;
	struct errbuf e;
	assert_int_equal(record_decode_line(lines[REC_FINDING], strlen(lines[REC_FINDING]), &r, &e), 0);
	struct record_sink sink = { record_list_sink_emit, &l };
	assert_int_equal(record_emit(&sink, &r), 0);
	record_clear(&r); /* the list holds its own copy */
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].u.finding.code, "stale-output");
	record_list_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_type_round_trips),
		cmocka_unit_test(header_build_is_optional),
		cmocka_unit_test(both_decoders_agree),
		cmocka_unit_test(bad_records_are_refused),
		cmocka_unit_test(flat_edge_values_match_jansson),
		cmocka_unit_test(ns_is_end_minus_start),
		cmocka_unit_test(list_sink_copies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
