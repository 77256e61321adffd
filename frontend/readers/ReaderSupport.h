// Private to the readers: what the safetensors and GGUF readers share. Mapping
// a checkpoint file read-only (with one message for each way that fails) and
// quoting names taken from a file for error messages.
#ifndef XF_FRONTEND_READERS_READERSUPPORT_H
#define XF_FRONTEND_READERS_READERSUPPORT_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace xf::readers {

// Maps `path` read-only. On success `data`/`size` describe the mapping (null
// and 0 for an empty file; release it with unmapFile). On failure returns
// false with `why` set, e.g. "cannot open: No such file or directory" or
// "is a directory, not a <kind> file". Never throws.
bool mapFile(const std::string &path, const char *kind, const uint8_t *&data, size_t &size,
             std::string &why);
void unmapFile(const uint8_t *data, size_t size);

// A name from the file, quoted for a message: control bytes escaped, long
// names cut at a UTF-8 character boundary.
std::string quoteName(std::string_view s);

} // namespace xf::readers

#endif // XF_FRONTEND_READERS_READERSUPPORT_H
