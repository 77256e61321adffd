/*===- CApi.h - the C API of a model compiled with --emit=lib ----*- C -*-===*
 *
 * `xfc compile m.mlir -o out/NAME --emit=lib` writes out/libNAME.a (the
 * model's kernels, its host program and the runtime) and out/NAME.h (this
 * header). Link with a C or C++ compiler:
 *
 *   cc main.c out/libNAME.a -lstdc++ -lpthread -ldl -lm
 *
 * One model per program (the runtime's symbols are not prefixed). Every
 * function that can fail returns 0 on success and non-zero otherwise, with
 * the message in xfc_last_error(model); nothing is printed.
 *
 * Decoders (GPT-2, LLaMA, ...): xfc_prefill(ids) resets the sequence and
 * computes the logits of every prompt position, each xfc_decode(id) appends
 * one token and computes its logits (with the KV-cache when the model was
 * compiled with one, else by recomputing the sequence). Encoders (BERT):
 * xfc_encode(ids) gives the last hidden state of every position.
 * Encoder-decoders (T5): xfc_encode(ids) runs the encoder, then xfc_prefill
 * takes the decoder ids and xfc_decode continues them.
 *===----------------------------------------------------------------------===*/

#ifndef XFC_MODEL_C_API_H
#define XFC_MODEL_C_API_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xfc_model xfc_model;

/* Loads the weights (NULL: the checkpoint recorded at compile time) and
 * returns a model context, or NULL with the reason in `error` (at most
 * `error_size` bytes, NUL-terminated) when error is not NULL. */
xfc_model *xfc_model_create(const char *weights_path, char *error, int64_t error_size);
void xfc_model_destroy(xfc_model *model);

/* The kernels' thread count for the whole program (n <= 0: XFC_NUM_THREADS,
 * else every core). */
void xfc_set_threads(int n);

/* "decoder", "encoder" or "encoder-decoder"; sizes of the compiled model. */
const char *xfc_model_kind(const xfc_model *model);
int64_t xfc_vocab_size(const xfc_model *model);
int64_t xfc_hidden_size(const xfc_model *model);
int64_t xfc_max_seq(const xfc_model *model);

int xfc_encode(xfc_model *model, const int64_t *ids, int64_t count);
int xfc_prefill(xfc_model *model, const int64_t *ids, int64_t count);
int xfc_decode(xfc_model *model, int64_t id);

/* The output of the last call: `rows` x `cols` floats, row-major (logits
 * [positions, vocab], or hidden states [positions, hidden] after an encoder's
 * xfc_encode). Valid until the next call on the model. */
const float *xfc_output(const xfc_model *model, int64_t *rows, int64_t *cols);

/* The message of the last failure, or "". */
const char *xfc_last_error(const xfc_model *model);

#ifdef __cplusplus
}
#endif

#endif /* XFC_MODEL_C_API_H */
