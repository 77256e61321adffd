//===- ConfigReader.h - typed reads of config.json fields -------*- C++ -*-===//
//
// Private to the frontend: reads the fields a builder depends on from a
// Hugging Face config.json, with defaults where Hugging Face has them, and
// fails with one message that names the file and the field.
//
//===----------------------------------------------------------------------===//

#ifndef XF_FRONTEND_CONFIGREADER_H
#define XF_FRONTEND_CONFIGREADER_H

#include <nlohmann/json.hpp>

#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace mlir::xf {

/// Reads config fields, failing with a message that names the field.
struct ConfigReader {
  const nlohmann::json &config;
  std::string where; // "DIR/config.json"
  std::string &error;

  bool fail(const std::string &msg) {
    if (error.empty())
      error = where + ": " + msg;
    return false;
  }
  bool positiveInt(const char *key, int64_t &out, std::optional<int64_t> dflt = std::nullopt) {
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) {
      if (dflt) {
        out = *dflt;
        return true;
      }
      return fail(std::string("missing integer field '") + key + "'");
    }
    if (!it->is_number_integer() || it->get<int64_t>() <= 0 || it->get<int64_t>() > (int64_t(1) << 31))
      return fail(std::string("field '") + key + "' must be a positive integer, got " + it->dump());
    out = it->get<int64_t>();
    return true;
  }
  bool number(const char *key, double &out, double dflt) {
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) {
      out = dflt;
      return true;
    }
    if (!it->is_number())
      return fail(std::string("field '") + key + "' must be a number, got " + it->dump());
    out = it->get<double>();
    return true;
  }
  /// A number the model keeps as an f32 attribute (epsilons, rope_theta):
  /// positive, finite and not zero once rounded to f32 (1e-85 is, 1e39 is inf).
  bool positiveF32(const char *key, double &out, double dflt) {
    if (!number(key, out, dflt))
      return false;
    float f = static_cast<float>(out);
    if (!(out > 0) || !(f > 0) || f > std::numeric_limits<float>::max())
      return fail(std::string("field '") + key + "' must be a positive number within float32 "
                  "range, got " + config.find(key)->dump());
    return true;
  }
  bool boolean(const char *key, bool &out, bool dflt) {
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) {
      out = dflt;
      return true;
    }
    if (!it->is_boolean())
      return fail(std::string("field '") + key + "' must be true or false, got " + it->dump());
    out = it->get<bool>();
    return true;
  }
  bool tokenIds(const char *key, std::vector<int64_t> &out) {
    auto it = config.find(key);
    if (it == config.end() || it->is_null())
      return true;
    auto one = [&](const nlohmann::json &v) {
      // An id past the vocabulary is kept: it is simply never generated.
      if (!v.is_number_integer() || v.get<int64_t>() < 0)
        return fail(std::string("field '") + key +
                    "' must be a non-negative token id or a list of them, got " + v.dump());
      out.push_back(v.get<int64_t>());
      return true;
    };
    if (it->is_array()) {
      for (const nlohmann::json &v : *it)
        if (!one(v))
          return false;
      return true;
    }
    return one(*it);
  }

  /// A string field (absent: `dflt`).
  bool string(const char *key, std::string &out, const std::string &dflt) {
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) {
      out = dflt;
      return true;
    }
    if (!it->is_string())
      return fail(std::string("field '") + key + "' must be a string, got " + it->dump());
    out = it->get<std::string>();
    return true;
  }
  /// The compiled maximum sequence length: `requested` (--max-seq) when
  /// positive, which must not exceed the model's `positions` (named by
  /// `field`), else `positions`.
  bool maxSequence(int64_t requested, int64_t positions, const char *field, int64_t &out) {
    out = positions;
    if (requested <= 0)
      return true;
    if (requested > positions) {
      error = "--max-seq " + std::to_string(requested) + " exceeds the model's " + field + " " +
              std::to_string(positions);
      return false;
    }
    out = requested;
    return true;
  }

  /// Fails if `key` is present and not null: a feature xfc does not support.
  bool mustBeNull(const char *key) {
    auto it = config.find(key);
    if (it != config.end() && !it->is_null())
      return fail(std::string("field '") + key + "' = " + it->dump() + " is not supported");
    return true;
  }
};

} // namespace mlir::xf

#endif // XF_FRONTEND_CONFIGREADER_H
