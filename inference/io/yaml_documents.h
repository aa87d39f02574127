// Reading YAML text document by document, safely. yaml-cpp 0.7's YAML::LoadAll loops forever,
// allocating, on input such as "," (jbeder/yaml-cpp#1040); scanning the text with the event
// parser first finds where it would get stuck.
#ifndef ALIGN_INFERENCE_IO_YAML_DOCUMENTS_H_
#define ALIGN_INFERENCE_IO_YAML_DOCUMENTS_H_

#include <optional>
#include <string_view>
#include <vector>

#include "yaml-cpp/mark.h"

namespace align::inference {

struct DocumentScan {
  // Where the parser is stuck on a token it cannot use: the text must be refused there, and
  // YAML::LoadAll must not be called on it.
  std::optional<YAML::Mark> stuck;
  // Where each document with content starts (empty documents, e.g. from a trailing "---", are
  // left out), with its index among all documents.
  std::vector<std::pair<int, YAML::Mark>> roots;
};

// Scans every document of `text`. Throws YAML::Exception for malformed text, as yaml-cpp does.
DocumentScan ScanDocuments(std::string_view text);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_IO_YAML_DOCUMENTS_H_
