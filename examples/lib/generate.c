/* generate.c - a C program that embeds a model compiled with --emit=lib.
 *
 *   xfc build <checkpoint> -o out/model --emit=lib
 *   cc -I out examples/lib/generate.c out/libmodel.a -lstdc++ -lpthread -ldl -lm -o generate
 *   ./generate [--weights PATH] [--logits FILE] [--threads N] ID ID ...
 *
 * Decoders: prefills the ids, then decodes greedily up to 8 tokens and prints
 * them as JSON ({"generated_ids": [...]}). Encoders: encodes them. With
 * --logits it writes the prompt's output rows (logits, or hidden states) as
 * raw float32 to FILE.
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t argmax(const float *row, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (row[i] > row[best])
      best = i;
  return best;
}

int main(int argc, char **argv) {
  const char *weights = NULL, *logitsPath = NULL;
  int64_t ids[512];
  int64_t n = 0;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--weights") && i + 1 < argc)
      weights = argv[++i];
    else if (!strcmp(argv[i], "--logits") && i + 1 < argc)
      logitsPath = argv[++i];
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      xfc_set_threads(atoi(argv[++i]));
    else if (n < 512)
      ids[n++] = strtoll(argv[i], NULL, 10);
  }
  char error[512];
  xfc_model *m = xfc_model_create(weights, error, sizeof error);
  if (!m) {
    fprintf(stderr, "generate: %s\n", error);
    return 1;
  }
  int encoder = !strcmp(xfc_model_kind(m), "encoder");
  if ((encoder ? xfc_encode(m, ids, n) : xfc_prefill(m, ids, n)) != 0) {
    fprintf(stderr, "generate: %s\n", xfc_last_error(m));
    xfc_model_destroy(m);
    return 1;
  }
  int64_t rows, cols;
  const float *out = xfc_output(m, &rows, &cols);
  if (logitsPath) {
    FILE *f = fopen(logitsPath, "wb");
    if (!f || fwrite(out, sizeof(float), (size_t)(rows * cols), f) != (size_t)(rows * cols)) {
      fprintf(stderr, "generate: cannot write %s\n", logitsPath);
      return 1;
    }
    fclose(f);
  }
  if (!encoder) {
    printf("{\"generated_ids\": [");
    int64_t next = argmax(out + (rows - 1) * cols, cols);
    for (int k = 0; k < 8; ++k) {
      printf(k ? ", %lld" : "%lld", (long long)next);
      if (k == 7 || n + k + 1 >= xfc_max_seq(m))
        break;
      if (xfc_decode(m, next) != 0) {
        fprintf(stderr, "generate: %s\n", xfc_last_error(m));
        return 1;
      }
      out = xfc_output(m, &rows, &cols);
      next = argmax(out, cols);
    }
    printf("]}\n");
  }
  xfc_model_destroy(m);
  return 0;
}
