//===- KVCacheSeq2Seq.h - private: the kv-cache split of encoder-decoders -===//
//
// Part of the xf-kv-cache pass (KVCache.cpp), for encoder-decoder models.
//
//===----------------------------------------------------------------------===//

#ifndef XF_PASSES_KVCACHESEQ2SEQ_H
#define XF_PASSES_KVCACHESEQ2SEQ_H

#include "dialect/XfDialect.h"

namespace mlir::xf {

/// Replaces @forward(ids, decoder_ids) by @encode, @prefill and @decode (see
/// KVCacheSeq2Seq.cpp); `numCaches` counts the caches made.
LogicalResult splitEncoderDecoder(func::FuncOp forward, int64_t capacity, unsigned &numCaches);

} // namespace mlir::xf

#endif // XF_PASSES_KVCACHESEQ2SEQ_H
