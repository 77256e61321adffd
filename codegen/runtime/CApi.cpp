//===- CApi.cpp - the C API of a model compiled with --emit=lib -*- C++ -*-===//
//
// Over the library's model (xfrt::libraryModel, libraryEntries, defined by
// the host program when it is compiled with XFC_LIBRARY). Only a library's
// link pulls this file from the runtime archive.
//
//===----------------------------------------------------------------------===//

#include "codegen/runtime/CApi.h"
#include "codegen/runtime/Runtime.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

using namespace xfrt;

struct xfc_model {
  const ModelDesc *desc = nullptr;
  Entries entries;
  Context ctx;
  std::vector<int64_t> ids;        // the sequence so far (decoders)
  std::vector<int64_t> encoderIds; // encoder-decoders: the last encoded input
  std::vector<float> output;
  int64_t rows = 0, cols = 0;
  std::string error;
};

namespace {

Tensor idsTensor(const std::vector<int64_t> &ids) {
  Tensor t = Tensor::i64({1, (int64_t)ids.size()});
  std::memcpy(t.i64data(), ids.data(), ids.size() * sizeof(int64_t));
  return t;
}

void checkIds(const xfc_model &m, const int64_t *ids, int64_t count, int64_t total) {
  if (count <= 0 || !ids)
    throw Error("no token ids");
  for (int64_t i = 0; i < count; ++i)
    if (ids[i] < 0 || ids[i] >= m.desc->vocabSize)
      throw Error("token id " + std::to_string(ids[i]) + " is out of the vocabulary (size " +
                  std::to_string(m.desc->vocabSize) + ")");
  if (total > m.desc->maxSeq)
    throw Error("the sequence would have " + std::to_string(total) +
                " tokens, longer than the compiled maximum " + std::to_string(m.desc->maxSeq));
}

/// Keeps rows [from, rows) of a [1, rows, cols] result.
void keep(xfc_model &m, const Tensor &t, int64_t from) {
  Tensor c = t.contiguous();
  m.cols = c.dim(2);
  m.rows = c.dim(1) - from;
  m.output.assign(c.f32read() + from * m.cols, c.f32read() + c.dim(1) * m.cols);
}

void freshCaches(xfc_model &m) {
  if (m.ctx.caches.size() == m.desc->caches.size())
    return;
  m.ctx.caches.clear();
  for (const CacheDesc &c : m.desc->caches)
    m.ctx.caches.push_back(Tensor::f32({1, c.heads, c.capacity, c.headDim}));
}

template <typename F> int guarded(xfc_model *m, F &&f) {
  if (!m)
    return 1;
  try {
    m->error.clear();
    f();
    return 0;
  } catch (const std::exception &e) {
    m->error = e.what();
    return 1;
  }
}

bool seq2seq(const xfc_model &m) { return std::string(m.desc->kind) == "encoder-decoder"; }

/// A decoder's (or T5 decoder's) logits of the whole sequence so far.
Tensor recompute(xfc_model &m) {
  Tensor t = idsTensor(m.ids);
  if (m.entries.forwardSeq2Seq) {
    Tensor enc = idsTensor(m.encoderIds);
    return m.entries.forwardSeq2Seq(m.ctx, enc, t);
  }
  if (!m.entries.forward)
    throw Error("the model has no entry point for this call");
  return m.entries.forward(m.ctx, t);
}

} // namespace

extern "C" {

xfc_model *xfc_model_create(const char *weightsPath, char *error, int64_t errorSize) {
  auto *m = new xfc_model;
  try {
    m->desc = &libraryModel();
    m->entries = libraryEntries();
    useDevice(*m->desc);
    ensureKernelThreads();
    m->ctx.params = loadParams(*m->desc, weightsPath ? weightsPath : m->desc->checkpoint);
    return m;
  } catch (const std::exception &e) {
    if (error && errorSize > 0) {
      std::strncpy(error, e.what(), (size_t)errorSize - 1);
      error[errorSize - 1] = '\0';
    }
    delete m;
    return nullptr;
  }
}

void xfc_model_destroy(xfc_model *model) { delete model; }

void xfc_set_threads(int n) { setKernelThreads(n); }

const char *xfc_model_kind(const xfc_model *m) { return m ? m->desc->kind : ""; }
int64_t xfc_vocab_size(const xfc_model *m) { return m ? m->desc->vocabSize : 0; }
int64_t xfc_hidden_size(const xfc_model *m) { return m ? m->desc->hiddenSize : 0; }
int64_t xfc_max_seq(const xfc_model *m) { return m ? m->desc->maxSeq : 0; }

int xfc_encode(xfc_model *model, const int64_t *ids, int64_t count) {
  return guarded(model, [&] {
    xfc_model &m = *model;
    checkIds(m, ids, count, count);
    std::vector<int64_t> input(ids, ids + count);
    if (seq2seq(m)) {
      m.encoderIds = input;
      m.ids.clear();
      if (m.entries.encode) {
        freshCaches(m);
        Tensor enc = idsTensor(input);
        m.entries.encode(m.ctx, enc);
      }
      m.rows = m.cols = 0;
      m.output.clear();
      return;
    }
    if (std::string(m.desc->kind) != "encoder")
      throw Error("xfc_encode: a decoder takes xfc_prefill");
    Tensor t = idsTensor(input);
    if (m.entries.forwardPadded) {
      Tensor lengths = Tensor::i64({1});
      lengths.i64data()[0] = count;
      keep(m, m.entries.forwardPadded(m.ctx, t, lengths), 0);
    } else {
      keep(m, m.entries.forward(m.ctx, t), 0);
    }
  });
}

int xfc_prefill(xfc_model *model, const int64_t *ids, int64_t count) {
  return guarded(model, [&] {
    xfc_model &m = *model;
    if (std::string(m.desc->kind) == "encoder")
      throw Error("xfc_prefill: an encoder takes xfc_encode");
    if (seq2seq(m) && m.encoderIds.empty())
      throw Error("xfc_prefill: call xfc_encode first (an encoder-decoder model)");
    checkIds(m, ids, count, count);
    m.ids.assign(ids, ids + count);
    Tensor t = idsTensor(m.ids);
    if (m.entries.prefill) {
      freshCaches(m);
      keep(m, m.entries.prefill(m.ctx, t), 0);
    } else if (m.entries.prefillSeq2Seq) {
      keep(m, m.entries.prefillSeq2Seq(m.ctx, t, (int64_t)m.encoderIds.size()), 0);
    } else {
      keep(m, recompute(m), 0);
    }
  });
}

int xfc_decode(xfc_model *model, int64_t id) {
  return guarded(model, [&] {
    xfc_model &m = *model;
    if (m.ids.empty())
      throw Error("xfc_decode: call xfc_prefill first");
    checkIds(m, &id, 1, (int64_t)m.ids.size() + 1);
    m.ids.push_back(id);
    int64_t position = (int64_t)m.ids.size() - 1;
    Tensor t = idsTensor({id});
    if (m.entries.decode)
      keep(m, m.entries.decode(m.ctx, t, position), 0);
    else if (m.entries.decodeSeq2Seq)
      keep(m, m.entries.decodeSeq2Seq(m.ctx, t, position, (int64_t)m.encoderIds.size()), 0);
    else {
      Tensor all = recompute(m);
      keep(m, all, all.dim(1) - 1);
    }
  });
}

const float *xfc_output(const xfc_model *m, int64_t *rows, int64_t *cols) {
  if (rows)
    *rows = m ? m->rows : 0;
  if (cols)
    *cols = m ? m->cols : 0;
  return m && !m->output.empty() ? m->output.data() : nullptr;
}

const char *xfc_last_error(const xfc_model *m) { return m ? m->error.c_str() : "no model"; }

} // extern "C"
