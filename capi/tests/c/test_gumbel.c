/*
 * The C ABI driven from C: tokens equal to the Rust API's for the same seed, and every
 * error code a C caller can provoke, with the message and the untouched outputs.
 *
 * Built and run by capi/tests/c_program.rs (cargo test), which writes expected.h with
 * the inputs and the tokens the Rust API gives for them:
 *   cc -Wall -Wextra -Werror -std=c11 -I capi/include -I <dir of expected.h> \
 *      capi/tests/c/test_gumbel.c libgumbel_capi.a -lpthread -ldl -lm
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "gumbel.h"
#include "expected.h"

static int failures = 0;
static int checks = 0;

#define CHECK(cond, ...)                                                                \
    do {                                                                                \
        checks++;                                                                       \
        if (!(cond)) {                                                                  \
            failures++;                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);    \
            fprintf(stderr, __VA_ARGS__);                                               \
            fprintf(stderr, "\n");                                                      \
        }                                                                               \
    } while (0)

#define SENTINEL 0xDEADBEEFu

static float logits[ROWS * COLS];

static void load_logits(void) {
    for (size_t i = 0; i < ROWS * COLS; i++) {
        memcpy(&logits[i], &LOGIT_BITS[i], sizeof(float));
    }
}

static void fill_sentinel(uint32_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        out[i] = SENTINEL;
    }
}

static int untouched(const uint32_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (out[i] != SENTINEL) {
            return 0;
        }
    }
    return 1;
}

static void check_tokens(const char *what, const uint32_t *got, const uint32_t *want) {
    for (size_t r = 0; r < ROWS; r++) {
        CHECK(got[r] == want[r], "%s: row %zu: token %u, the Rust API gives %u", what, r,
              (unsigned)got[r], (unsigned)want[r]);
    }
}

static GumbelSampler *new_sampler(int method) {
    GumbelSampler *s = gumbel_sampler_new(SEED);
    CHECK(s != NULL, "gumbel_sampler_new returned NULL: %s", gumbel_last_error());
    if (s == NULL) {
        exit(1);
    }
    int rc = gumbel_sampler_set_method(s, method);
    CHECK(rc == GUMBEL_OK, "set_method(%d) = %d: %s", method, rc, gumbel_last_error());
    return s;
}

/* a failing call: its code, a non-empty message, a known status string, `out` untouched */
static void expect_failure(const char *what, int rc, int want, const uint32_t *out, size_t n) {
    CHECK(rc == want, "%s: returned %d (%s), want %d (%s)", what, rc, gumbel_status_string(rc),
          want, gumbel_status_string(want));
    const char *msg = gumbel_last_error();
    CHECK(msg != NULL && msg[0] != '\0', "%s: gumbel_last_error() is empty", what);
    CHECK(strcmp(gumbel_status_string(rc), "unknown status") != 0, "%s: status string", what);
    if (out != NULL) {
        CHECK(untouched(out, n), "%s: out was written on error", what);
    }
}

/* ---- tokens against the Rust API ------------------------------------------------- */

static void test_tokens(void) {
    uint32_t out[ROWS];
    int rc;

    /* ring-fed Gumbel-max, default parameters (n_params == 0, params NULL), two calls */
    GumbelSampler *s = new_sampler(GUMBEL_METHOD_GUMBEL_MAX);
    CHECK(gumbel_sampler_refill(s) == GUMBEL_OK, "refill: %s", gumbel_last_error());
    rc = gumbel_sampler_sample_batch(s, logits, ROWS, COLS, NULL, 0, out);
    CHECK(rc == GUMBEL_OK, "ring call 1 = %d: %s", rc, gumbel_last_error());
    check_tokens("ring call 1", out, EXPECT_RING_1);
    rc = gumbel_sampler_sample_batch(s, logits, ROWS, COLS, NULL, 0, out);
    CHECK(rc == GUMBEL_OK, "ring call 2 = %d: %s", rc, gumbel_last_error());
    check_tokens("ring call 2", out, EXPECT_RING_2);
    gumbel_sampler_free(s);

    /* fused, one parameter set for all rows; a rejected method leaves the method as is */
    s = new_sampler(GUMBEL_METHOD_FUSED);
    CHECK(gumbel_sampler_set_method(s, 99) == GUMBEL_ERR_INVALID_METHOD, "method 99");
    gumbel_params p = gumbel_params_default();
    p.temperature = TEMP_FUSED;
    rc = gumbel_sampler_sample_batch(s, logits, ROWS, COLS, &p, 1, out);
    CHECK(rc == GUMBEL_OK, "fused = %d: %s", rc, gumbel_last_error());
    check_tokens("fused", out, EXPECT_FUSED);
    gumbel_sampler_free(s);

    /* roulette */
    s = new_sampler(GUMBEL_METHOD_ROULETTE);
    p.temperature = TEMP_ROULETTE;
    rc = gumbel_sampler_sample_batch(s, logits, ROWS, COLS, &p, 1, out);
    CHECK(rc == GUMBEL_OK, "roulette = %d: %s", rc, gumbel_last_error());
    check_tokens("roulette", out, EXPECT_ROULETTE);
    gumbel_sampler_free(s);

    /* keyed, f32 / bf16 / f16 (the same keys: only the logits' precision differs) */
    s = new_sampler(GUMBEL_METHOD_FUSED);
    rc = gumbel_sampler_sample_batch_keyed(s, logits, ROWS, COLS, KEYS, NULL, 0, out);
    CHECK(rc == GUMBEL_OK, "keyed = %d: %s", rc, gumbel_last_error());
    check_tokens("keyed", out, EXPECT_KEYED);
    rc = gumbel_sampler_sample_batch_keyed_bf16(s, BF16_BITS, ROWS, COLS, KEYS, NULL, 0, out);
    CHECK(rc == GUMBEL_OK, "keyed bf16 = %d: %s", rc, gumbel_last_error());
    check_tokens("keyed bf16", out, EXPECT_KEYED_BF16);
    rc = gumbel_sampler_sample_batch_keyed_f16(s, F16_BITS, ROWS, COLS, KEYS, NULL, 0, out);
    CHECK(rc == GUMBEL_OK, "keyed f16 = %d: %s", rc, gumbel_last_error());
    check_tokens("keyed f16", out, EXPECT_KEYED_F16);
    /* a keyed row alone gets the token it got inside the batch */
    uint32_t one = SENTINEL;
    rc = gumbel_sampler_sample_batch_keyed(s, logits + 2 * COLS, 1, COLS, KEYS + 2, NULL, 0,
                                           &one);
    CHECK(rc == GUMBEL_OK && one == EXPECT_KEYED[2], "keyed row 2 alone: %d, %u", rc,
          (unsigned)one);
    gumbel_sampler_free(s);

    /* bf16 and f16, unkeyed */
    s = new_sampler(GUMBEL_METHOD_GUMBEL_MAX);
    rc = gumbel_sampler_sample_batch_bf16(s, BF16_BITS, ROWS, COLS, NULL, 0, out);
    CHECK(rc == GUMBEL_OK, "bf16 = %d: %s", rc, gumbel_last_error());
    check_tokens("bf16", out, EXPECT_BF16);
    gumbel_sampler_free(s);
    s = new_sampler(GUMBEL_METHOD_ROULETTE);
    rc = gumbel_sampler_sample_batch_f16(s, F16_BITS, ROWS, COLS, NULL, 0, out);
    CHECK(rc == GUMBEL_OK, "f16 = %d: %s", rc, gumbel_last_error());
    check_tokens("f16", out, EXPECT_F16);
    gumbel_sampler_free(s);

    /* greedy: temperature 0 is argmax, which C can check on its own */
    s = new_sampler(GUMBEL_METHOD_FUSED);
    p.temperature = 0.0f;
    rc = gumbel_sampler_sample_batch(s, logits, ROWS, COLS, &p, 1, out);
    CHECK(rc == GUMBEL_OK, "greedy = %d: %s", rc, gumbel_last_error());
    for (size_t r = 0; r < ROWS; r++) {
        size_t best = 0;
        for (size_t c = 1; c < COLS; c++) {
            if (logits[r * COLS + c] > logits[r * COLS + best]) {
                best = c;
            }
        }
        CHECK(out[r] == best, "greedy row %zu: %u, argmax %zu", r, (unsigned)out[r], best);
    }
    gumbel_sampler_free(s);
}

/* ---- per-row parameters and log-probabilities against the Rust API --------------- */

static uint32_t bits_of(float f) {
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* compares bits: the C ABI must return exactly the Rust API's values */
static void check_logprobs(const char *what, const uint32_t *tokens,
                           const gumbel_token_logprob *lp, const uint32_t *want_tokens,
                           const uint32_t *want_logprob, const uint32_t *want_raw,
                           const uint32_t *want_rank) {
    check_tokens(what, tokens, want_tokens);
    for (size_t r = 0; r < ROWS; r++) {
        CHECK(bits_of(lp[r].logprob) == want_logprob[r], "%s: row %zu: logprob %g", what, r,
              (double)lp[r].logprob);
        CHECK(bits_of(lp[r].raw_logprob) == want_raw[r], "%s: row %zu: raw_logprob %g", what,
              r, (double)lp[r].raw_logprob);
        CHECK(lp[r].rank == want_rank[r], "%s: row %zu: rank %u, want %u", what, r,
              (unsigned)lp[r].rank, (unsigned)want_rank[r]);
        CHECK(lp[r].logprob <= 0.0f && lp[r].raw_logprob <= 0.0f && lp[r].rank >= 1,
              "%s: row %zu: a log-probability is <= 0 and a rank >= 1", what, r);
    }
}

static void check_top(const char *what, const gumbel_top_logprob *top, size_t top_n,
                      const uint32_t *want_tokens, const uint32_t *want_bits) {
    for (size_t i = 0; i < ROWS * top_n; i++) {
        CHECK(top[i].token == want_tokens[i] && bits_of(top[i].logprob) == want_bits[i],
              "%s: top entry %zu: token %u, logprob %g; the Rust API gives %u", what, i,
              (unsigned)top[i].token, (double)top[i].logprob, (unsigned)want_tokens[i]);
    }
    for (size_t r = 0; r < ROWS; r++) {
        for (size_t j = 1; j < top_n; j++) {
            CHECK(top[r * top_n + j - 1].logprob >= top[r * top_n + j].logprob,
                  "%s: row %zu: top-n descending", what, r);
        }
    }
}

static void test_params_and_logprobs(void) {
    uint32_t out[ROWS];
    gumbel_token_logprob lp[ROWS];
    gumbel_top_logprob top[ROWS * GUMBEL_MAX_TOP_LOGPROBS];
    int rc;

    /* one parameter set per row (n_params == rows), ring-fed */
    GumbelSampler *s = new_sampler(GUMBEL_METHOD_GUMBEL_MAX);
    CHECK(gumbel_sampler_refill(s) == GUMBEL_OK, "refill");
    rc = gumbel_sampler_sample_batch(s, logits, ROWS, COLS, PARAMS, ROWS, out);
    CHECK(rc == GUMBEL_OK, "per-row params = %d: %s", rc, gumbel_last_error());
    check_tokens("per-row params", out, EXPECT_PER_ROW);
    gumbel_sampler_free(s);

    /* keyed, per-row, roulette; then the same call with log-probabilities and top-3:
       the tokens are those of the call without log-probabilities */
    s = new_sampler(GUMBEL_METHOD_ROULETTE);
    rc = gumbel_sampler_sample_batch_keyed(s, logits, ROWS, COLS, KEYS, PARAMS, ROWS, out);
    CHECK(rc == GUMBEL_OK, "keyed per-row = %d: %s", rc, gumbel_last_error());
    check_tokens("keyed per-row", out, EXPECT_KEYED_PER_ROW);
    rc = gumbel_sampler_sample_batch_logprobs(s, logits, ROWS, COLS, KEYS, PARAMS, ROWS, out, lp,
                                              top, LP_KEYED_TOP_N);
    CHECK(rc == GUMBEL_OK, "logprobs keyed = %d: %s", rc, gumbel_last_error());
    check_tokens("logprobs keyed vs keyed per-row", out, EXPECT_KEYED_PER_ROW);
    check_logprobs("logprobs keyed", out, lp, LP_KEYED_TOKENS, LP_KEYED_LOGPROB_BITS,
                   LP_KEYED_RAW_BITS, LP_KEYED_RANKS);
    check_top("logprobs keyed", top, LP_KEYED_TOP_N, LP_KEYED_TOP_TOKENS, LP_KEYED_TOP_BITS);
    /* greedy row 4: the processed log-probability is 0 (certain) */
    CHECK(lp[4].logprob == 0.0f, "greedy row: logprob %g", (double)lp[4].logprob);
    gumbel_sampler_free(s);

    /* bf16, unkeyed (keys NULL), defaults, no top-n (top NULL) */
    s = new_sampler(GUMBEL_METHOD_GUMBEL_MAX);
    rc = gumbel_sampler_sample_batch_logprobs_bf16(s, BF16_BITS, ROWS, COLS, NULL, NULL, 0, out,
                                                   lp, NULL, LP_BF16_TOP_N);
    CHECK(rc == GUMBEL_OK, "logprobs bf16 = %d: %s", rc, gumbel_last_error());
    check_logprobs("logprobs bf16", out, lp, LP_BF16_TOKENS, LP_BF16_LOGPROB_BITS,
                   LP_BF16_RAW_BITS, LP_BF16_RANKS);
    gumbel_sampler_free(s);

    /* f16, keyed, one parameter set (row 1's) for all rows, the largest top-n */
    s = new_sampler(GUMBEL_METHOD_FUSED);
    rc = gumbel_sampler_sample_batch_logprobs_f16(s, F16_BITS, ROWS, COLS, KEYS, &PARAMS[1], 1,
                                                  out, lp, top, LP_F16_TOP_N);
    CHECK(rc == GUMBEL_OK, "logprobs f16 = %d: %s", rc, gumbel_last_error());
    check_logprobs("logprobs f16", out, lp, LP_F16_TOKENS, LP_F16_LOGPROB_BITS, LP_F16_RAW_BITS,
                   LP_F16_RANKS);
    check_top("logprobs f16", top, LP_F16_TOP_N, LP_F16_TOP_TOKENS, LP_F16_TOP_BITS);
    gumbel_sampler_free(s);
}

/* ---- per-row errors: a bad row fails alone --------------------------------------- */

static float bad_logits[ROWS * COLS];

/* the batch of c_program.rs's bad_logits(): row 1 has a NaN, row 3 is all masked */
static void load_bad_logits(void) {
    memcpy(bad_logits, logits, sizeof bad_logits);
    bad_logits[1 * COLS + 3] = NAN;
    for (size_t c = 0; c < COLS; c++) {
        bad_logits[3 * COLS + c] = -INFINITY;
    }
}

static void test_partial(void) {
    uint32_t out[ROWS];
    int status[ROWS];
    gumbel_token_logprob lp[ROWS], lp0[ROWS];
    gumbel_top_logprob top[ROWS * 2], top0[ROWS * 2];
    gumbel_params params[ROWS];
    memcpy(params, PARAMS, sizeof params);
    params[4].top_p = 0.0f; /* row 4: bad parameters */
    load_bad_logits();
    int rc;

    /* ring-fed, per-row parameters, log-probabilities and top-2 */
    GumbelSampler *s = new_sampler(GUMBEL_METHOD_GUMBEL_MAX);
    CHECK(gumbel_sampler_refill(s) == GUMBEL_OK, "refill");
    fill_sentinel(out, ROWS);
    memset(lp, 0xAB, sizeof lp);
    memset(top, 0xAB, sizeof top);
    memcpy(lp0, lp, sizeof lp);
    memcpy(top0, top, sizeof top);
    rc = gumbel_sampler_sample_batch_partial(s, bad_logits, ROWS, COLS, NULL, params, ROWS, out,
                                             status, lp, top, LP_PARTIAL_TOP_N);
    CHECK(rc == GUMBEL_OK, "partial = %d: %s", rc, gumbel_last_error());
    CHECK(strstr(gumbel_last_error(), "row 1") != NULL, "the first bad row's message: %s",
          gumbel_last_error());
    const int want_status[ROWS] = {GUMBEL_OK, GUMBEL_ERR_INVALID_LOGIT, GUMBEL_OK,
                                   GUMBEL_ERR_ALL_MASKED, GUMBEL_ERR_INVALID_PARAM, GUMBEL_OK};
    for (size_t r = 0; r < ROWS; r++) {
        CHECK(status[r] == want_status[r], "partial: row %zu: status %d, want %d", r, status[r],
              want_status[r]);
        CHECK(out[r] == LP_PARTIAL_TOKENS[r], "partial: row %zu: token %u, the Rust API gives %u",
              r, (unsigned)out[r], (unsigned)LP_PARTIAL_TOKENS[r]);
        if (want_status[r] == GUMBEL_OK) {
            CHECK(bits_of(lp[r].logprob) == LP_PARTIAL_LOGPROB_BITS[r] &&
                      bits_of(lp[r].raw_logprob) == LP_PARTIAL_RAW_BITS[r] &&
                      lp[r].rank == LP_PARTIAL_RANKS[r],
                  "partial: row %zu: log-probabilities", r);
            for (size_t j = 0; j < LP_PARTIAL_TOP_N; j++) {
                size_t i = r * LP_PARTIAL_TOP_N + j;
                CHECK(top[i].token == LP_PARTIAL_TOP_TOKENS[i] &&
                          bits_of(top[i].logprob) == LP_PARTIAL_TOP_BITS[i],
                      "partial: row %zu: top %zu", r, j);
            }
        } else {
            CHECK(out[r] == SENTINEL, "partial: bad row %zu: out written", r);
            CHECK(memcmp(&lp[r], &lp0[r], sizeof lp[r]) == 0, "partial: bad row %zu: logprobs", r);
            CHECK(memcmp(&top[r * 2], &top0[r * 2], 2 * sizeof top[0]) == 0,
                  "partial: bad row %zu: top written", r);
        }
    }
    gumbel_sampler_free(s);

    /* keyed: the good rows get the tokens of the clean keyed batch */
    s = new_sampler(GUMBEL_METHOD_ROULETTE);
    fill_sentinel(out, ROWS);
    rc = gumbel_sampler_sample_batch_partial(s, bad_logits, ROWS, COLS, KEYS, params, ROWS, out,
                                             status, NULL, NULL, 0);
    CHECK(rc == GUMBEL_OK, "partial keyed = %d: %s", rc, gumbel_last_error());
    for (size_t r = 0; r < ROWS; r++) {
        CHECK(status[r] == want_status[r], "partial keyed: row %zu: status %d", r, status[r]);
        uint32_t want = want_status[r] == GUMBEL_OK ? EXPECT_KEYED_PER_ROW[r] : SENTINEL;
        CHECK(out[r] == want, "partial keyed: row %zu: token %u, want %u", r, (unsigned)out[r],
              (unsigned)want);
    }
    gumbel_sampler_free(s);

    /* f16, defaults: row 4 is good now */
    uint16_t bad_f16[ROWS * COLS];
    memcpy(bad_f16, F16_BITS, sizeof bad_f16);
    bad_f16[1 * COLS + 3] = 0x7e00u; /* NaN */
    for (size_t c = 0; c < COLS; c++) {
        bad_f16[3 * COLS + c] = 0xfc00u; /* -inf */
    }
    s = new_sampler(GUMBEL_METHOD_FUSED);
    fill_sentinel(out, ROWS);
    rc = gumbel_sampler_sample_batch_partial_f16(s, bad_f16, ROWS, COLS, NULL, NULL, 0, out,
                                                 status, NULL, NULL, 0);
    CHECK(rc == GUMBEL_OK, "partial f16 = %d: %s", rc, gumbel_last_error());
    check_tokens("partial f16", out, EXPECT_PARTIAL_F16);
    CHECK(status[1] == GUMBEL_ERR_INVALID_LOGIT && status[3] == GUMBEL_ERR_ALL_MASKED &&
              status[4] == GUMBEL_OK,
          "partial f16: statuses %d %d %d", status[1], status[3], status[4]);

    /* a clean batch: every status GUMBEL_OK (bf16) */
    rc = gumbel_sampler_sample_batch_partial_bf16(s, BF16_BITS, ROWS, COLS, KEYS, NULL, 0, out,
                                                  status, NULL, NULL, 0);
    CHECK(rc == GUMBEL_OK, "partial bf16 = %d: %s", rc, gumbel_last_error());
    check_tokens("partial bf16 vs keyed bf16", out, EXPECT_KEYED_BF16);
    for (size_t r = 0; r < ROWS; r++) {
        CHECK(status[r] == GUMBEL_OK, "partial bf16: row %zu: status %d", r, status[r]);
    }

    /* call-level errors: nothing written, row_status included */
    int status0[ROWS];
    for (size_t r = 0; r < ROWS; r++) {
        status[r] = status0[r] = 12345;
    }
    fill_sentinel(out, ROWS);
    rc = gumbel_sampler_sample_batch_partial(s, logits, ROWS, COLS, NULL, NULL, 0, out, NULL,
                                             NULL, NULL, 0);
    expect_failure("partial, NULL row_status", rc, GUMBEL_ERR_NULL_POINTER, out, ROWS);
    rc = gumbel_sampler_sample_batch_partial(s, logits, ROWS, COLS, NULL, NULL, 0, out, status,
                                             NULL, NULL, 3);
    expect_failure("partial, top_n 3 without logprobs", rc, GUMBEL_ERR_NULL_POINTER, out, ROWS);
    rc = gumbel_sampler_sample_batch_partial(s, logits, ROWS, 0, NULL, NULL, 0, out, status, NULL,
                                             NULL, 0);
    expect_failure("partial, cols 0", rc, GUMBEL_ERR_EMPTY_ROW, out, ROWS);
    rc = gumbel_sampler_sample_batch_partial(s, logits, ROWS, COLS, NULL, PARAMS, 2, out, status,
                                             NULL, NULL, 0);
    expect_failure("partial, n_params 2", rc, GUMBEL_ERR_LENGTH_MISMATCH, out, ROWS);
    CHECK(memcmp(status, status0, sizeof status) == 0, "row_status written on a call error");
    gumbel_sampler_free(s);
}

/* ---- error codes ------------------------------------------------------------------ */

static void test_errors(void) {
    uint32_t out[ROWS];
    float bad[ROWS * COLS];
    int rc;
    memcpy(bad, logits, sizeof bad);
    GumbelSampler *s = new_sampler(GUMBEL_METHOD_FUSED);
    gumbel_params p = gumbel_params_default();

    /* GUMBEL_ERR_NULL_POINTER */
    fill_sentinel(out, ROWS);
    rc = gumbel_sampler_sample_batch(NULL, logits, ROWS, COLS, NULL, 0, out);
    expect_failure("NULL sampler", rc, GUMBEL_ERR_NULL_POINTER, out, ROWS);
    CHECK(strstr(gumbel_last_error(), "sampler") != NULL, "message names the sampler: %s",
          gumbel_last_error());
    expect_failure("set_method(NULL)", gumbel_sampler_set_method(NULL, GUMBEL_METHOD_FUSED),
                   GUMBEL_ERR_NULL_POINTER, NULL, 0);
    expect_failure("refill(NULL)", gumbel_sampler_refill(NULL), GUMBEL_ERR_NULL_POINTER, NULL, 0);
    gumbel_sampler_free(NULL); /* a no-op, as free(NULL) */
    rc = gumbel_sampler_sample_batch(s, NULL, ROWS, COLS, NULL, 0, out);
    expect_failure("NULL logits", rc, GUMBEL_ERR_NULL_POINTER, out, ROWS);
    CHECK(strstr(gumbel_last_error(), "logits") != NULL, "message names logits: %s",
          gumbel_last_error());
    rc = gumbel_sampler_sample_batch(s, logits, ROWS, COLS, NULL, 0, NULL);
    expect_failure("NULL out", rc, GUMBEL_ERR_NULL_POINTER, NULL, 0);
    rc = gumbel_sampler_sample_batch_keyed(s, logits, ROWS, COLS, NULL, NULL, 0, out);
    expect_failure("NULL keys", rc, GUMBEL_ERR_NULL_POINTER, out, ROWS);
    rc = gumbel_sampler_sample_batch(s, logits, ROWS, COLS, NULL, 1, out);
    expect_failure("NULL params with n_params 1", rc, GUMBEL_ERR_NULL_POINTER, out, ROWS);
    rc = gumbel_sampler_sample_batch_bf16(s, NULL, ROWS, COLS, NULL, 0, out);
    expect_failure("NULL bf16 logits", rc, GUMBEL_ERR_NULL_POINTER, out, ROWS);
    rc = gumbel_sampler_sample_batch_f16(s, NULL, ROWS, COLS, NULL, 0, out);
    expect_failure("NULL f16 logits", rc, GUMBEL_ERR_NULL_POINTER, out, ROWS);

    /* GUMBEL_ERR_SIZE_OVERFLOW: rows * cols overflows; rows * cols * 4 bytes overflows */
    rc = gumbel_sampler_sample_batch(s, logits, SIZE_MAX / 2 + 1, 2, NULL, 0, out);
    expect_failure("rows * cols overflow", rc, GUMBEL_ERR_SIZE_OVERFLOW, out, ROWS);
    rc = gumbel_sampler_sample_batch(s, logits, 1, SIZE_MAX / 2, NULL, 0, out);
    expect_failure("byte size overflow", rc, GUMBEL_ERR_SIZE_OVERFLOW, out, ROWS);

    /* GUMBEL_ERR_EMPTY_ROW */
    rc = gumbel_sampler_sample_batch(s, logits, ROWS, 0, NULL, 0, out);
    expect_failure("cols == 0", rc, GUMBEL_ERR_EMPTY_ROW, out, ROWS);

    /* rows == 0: a no-op that reads no pointer but the sampler */
    rc = gumbel_sampler_sample_batch(s, NULL, 0, COLS, NULL, 0, NULL);
    CHECK(rc == GUMBEL_OK, "rows == 0 = %d: %s", rc, gumbel_last_error());

    /* GUMBEL_ERR_LENGTH_MISMATCH */
    gumbel_params two[2] = {p, p};
    rc = gumbel_sampler_sample_batch(s, logits, ROWS, COLS, two, 2, out);
    expect_failure("n_params 2 for 6 rows", rc, GUMBEL_ERR_LENGTH_MISMATCH, out, ROWS);

    /* GUMBEL_ERR_INVALID_PARAM */
    p.temperature = -1.0f;
    rc = gumbel_sampler_sample_batch(s, logits, ROWS, COLS, &p, 1, out);
    expect_failure("temperature -1", rc, GUMBEL_ERR_INVALID_PARAM, out, ROWS);
    p.temperature = NAN;
    rc = gumbel_sampler_sample_batch(s, logits, ROWS, COLS, &p, 1, out);
    expect_failure("temperature NaN", rc, GUMBEL_ERR_INVALID_PARAM, out, ROWS);
    p = gumbel_params_default();
    p.top_p = 1.5f;
    rc = gumbel_sampler_sample_batch(s, logits, ROWS, COLS, &p, 1, out);
    expect_failure("top_p 1.5", rc, GUMBEL_ERR_INVALID_PARAM, out, ROWS);
    p.top_p = 0.0f;
    rc = gumbel_sampler_sample_batch(s, logits, ROWS, COLS, &p, 1, out);
    expect_failure("top_p 0", rc, GUMBEL_ERR_INVALID_PARAM, out, ROWS);
    p = gumbel_params_default();
    p.min_p = 2.0f;
    rc = gumbel_sampler_sample_batch(s, logits, ROWS, COLS, &p, 1, out);
    expect_failure("min_p 2", rc, GUMBEL_ERR_INVALID_PARAM, out, ROWS);
    CHECK(strstr(gumbel_last_error(), "min_p") != NULL, "message names min_p: %s",
          gumbel_last_error());
    /* per-row: the message names the first bad row */
    gumbel_params rows_p[ROWS];
    memcpy(rows_p, PARAMS, sizeof rows_p);
    rows_p[2].top_p = 0.0f;
    rc = gumbel_sampler_sample_batch(s, logits, ROWS, COLS, rows_p, ROWS, out);
    expect_failure("per-row top_p 0", rc, GUMBEL_ERR_INVALID_PARAM, out, ROWS);
    CHECK(strstr(gumbel_last_error(), "row 2") && strstr(gumbel_last_error(), "top_p"),
          "message names row 2 and top_p: %s", gumbel_last_error());

    /* the log-probability variants: out, logprobs and top untouched on error */
    gumbel_token_logprob lp[ROWS];
    gumbel_top_logprob top[ROWS * 3];
    memset(lp, 0xAB, sizeof lp);
    memset(top, 0xAB, sizeof top);
    gumbel_token_logprob lp0[ROWS];
    gumbel_top_logprob top0[ROWS * 3];
    memcpy(lp0, lp, sizeof lp);
    memcpy(top0, top, sizeof top);
    rc = gumbel_sampler_sample_batch_logprobs(s, logits, ROWS, COLS, NULL, NULL, 0, out, lp, top,
                                              GUMBEL_MAX_TOP_LOGPROBS + 1);
    expect_failure("top_n 21", rc, GUMBEL_ERR_INVALID_PARAM, out, ROWS);
    rc = gumbel_sampler_sample_batch_logprobs(s, logits, ROWS, COLS, NULL, NULL, 0, out, NULL,
                                              top, 3);
    expect_failure("NULL logprobs", rc, GUMBEL_ERR_NULL_POINTER, out, ROWS);
    rc = gumbel_sampler_sample_batch_logprobs(s, logits, ROWS, COLS, NULL, NULL, 0, out, lp,
                                              NULL, 3);
    expect_failure("NULL top with top_n 3", rc, GUMBEL_ERR_NULL_POINTER, out, ROWS);
    for (size_t c = 0; c < COLS; c++) {
        bad[4 * COLS + c] = -INFINITY;
    }
    rc = gumbel_sampler_sample_batch_logprobs(s, bad, ROWS, COLS, NULL, NULL, 0, out, lp, top, 3);
    expect_failure("logprobs, all masked", rc, GUMBEL_ERR_ALL_MASKED, out, ROWS);
    memcpy(bad, logits, sizeof bad);
    rc = gumbel_sampler_sample_batch_logprobs_bf16(s, BF16_BITS, ROWS, COLS, NULL, rows_p, ROWS,
                                                   out, lp, top, 3);
    expect_failure("logprobs bf16, bad top_p", rc, GUMBEL_ERR_INVALID_PARAM, out, ROWS);
    rc = gumbel_sampler_sample_batch_logprobs_f16(s, F16_BITS, ROWS, 0, KEYS, NULL, 0, out, lp,
                                                  top, 3);
    expect_failure("logprobs f16, cols 0", rc, GUMBEL_ERR_EMPTY_ROW, out, ROWS);
    CHECK(memcmp(lp, lp0, sizeof lp) == 0, "logprobs written on error");
    CHECK(memcmp(top, top0, sizeof top) == 0, "top written on error");

    /* GUMBEL_ERR_INVALID_METHOD */
    expect_failure("method 99", gumbel_sampler_set_method(s, 99), GUMBEL_ERR_INVALID_METHOD,
                   NULL, 0);
    expect_failure("method -1", gumbel_sampler_set_method(s, -1), GUMBEL_ERR_INVALID_METHOD,
                   NULL, 0);

    /* GUMBEL_ERR_INVALID_LOGIT: NaN and +inf, with the row and column in the message */
    bad[3 * COLS + 17] = NAN;
    rc = gumbel_sampler_sample_batch(s, bad, ROWS, COLS, NULL, 0, out);
    expect_failure("NaN logit", rc, GUMBEL_ERR_INVALID_LOGIT, out, ROWS);
    CHECK(strstr(gumbel_last_error(), "row 3") && strstr(gumbel_last_error(), "column 17"),
          "message names row 3, column 17: %s", gumbel_last_error());
    bad[3 * COLS + 17] = INFINITY;
    rc = gumbel_sampler_sample_batch(s, bad, ROWS, COLS, NULL, 0, out);
    expect_failure("+inf logit", rc, GUMBEL_ERR_INVALID_LOGIT, out, ROWS);
    bad[3 * COLS + 17] = logits[3 * COLS + 17];

    /* GUMBEL_ERR_ALL_MASKED */
    for (size_t c = 0; c < COLS; c++) {
        bad[4 * COLS + c] = -INFINITY;
    }
    rc = gumbel_sampler_sample_batch(s, bad, ROWS, COLS, NULL, 0, out);
    expect_failure("all masked", rc, GUMBEL_ERR_ALL_MASKED, out, ROWS);
    uint64_t keys[ROWS];
    memcpy(keys, KEYS, sizeof keys);
    rc = gumbel_sampler_sample_batch_keyed(s, bad, ROWS, COLS, keys, NULL, 0, out);
    expect_failure("all masked, keyed", rc, GUMBEL_ERR_ALL_MASKED, out, ROWS);

    /* the message stays until the next failure; a success leaves it */
    rc = gumbel_sampler_sample_batch(s, logits, ROWS, COLS, NULL, 0, out);
    CHECK(rc == GUMBEL_OK, "a good call after errors = %d", rc);
    CHECK(strstr(gumbel_last_error(), "masked") != NULL, "message kept: %s",
          gumbel_last_error());

    /* unknown codes have a string too */
    CHECK(strcmp(gumbel_status_string(12345), "unknown status") == 0, "unknown status");
    CHECK(strcmp(gumbel_status_string(GUMBEL_OK), "ok") == 0, "ok");
    CHECK(strlen(gumbel_status_string(GUMBEL_ERR_PANIC)) > 0, "panic string");
    CHECK(strlen(gumbel_status_string(GUMBEL_ERR_OTHER)) > 0, "other string");
    gumbel_sampler_free(s);
}

/* ---- the error message is per thread ---------------------------------------------- */

static int thread_main(void *arg) {
    (void)arg;
    int ok = gumbel_last_error()[0] == '\0'; /* a new thread has no error yet */
    int rc = gumbel_sampler_refill(NULL);
    ok = ok && rc == GUMBEL_ERR_NULL_POINTER && strstr(gumbel_last_error(), "sampler") != NULL;
    return ok;
}

static void test_thread_local_error(void) {
    GumbelSampler *s = new_sampler(GUMBEL_METHOD_FUSED);
    CHECK(gumbel_sampler_set_method(s, 7) == GUMBEL_ERR_INVALID_METHOD, "method 7");
    char before[256];
    snprintf(before, sizeof before, "%s", gumbel_last_error());
    thrd_t t;
    CHECK(thrd_create(&t, thread_main, NULL) == thrd_success, "thrd_create");
    int ok = 0;
    CHECK(thrd_join(t, &ok) == thrd_success, "thrd_join");
    CHECK(ok, "the other thread saw an empty message first, then its own");
    CHECK(strcmp(before, gumbel_last_error()) == 0,
          "this thread's message is unchanged by the other thread's failure: %s",
          gumbel_last_error());
    gumbel_sampler_free(s);
}

int main(void) {
    CHECK(gumbel_last_error() != NULL && gumbel_last_error()[0] == '\0',
          "no error before any call: %s", gumbel_last_error());
    load_logits();
    test_tokens();
    test_params_and_logprobs();
    test_partial();
    test_errors();
    test_thread_local_error();
    if (failures != 0) {
        fprintf(stderr, "%d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("%d checks passed\n", checks);
    return 0;
}
