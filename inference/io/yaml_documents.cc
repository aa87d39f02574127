#include "inference/io/yaml_documents.h"

#include <algorithm>
#include <sstream>
#include <string>

#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/yaml.h"

namespace align::inference {
namespace {

// Where a document's root starts, and whether it is empty; from the parser's events.
class DocumentRoot final : public YAML::EventHandler {
 public:
  bool is_null() const { return is_null_; }
  const YAML::Mark& mark() const { return mark_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Root(mark, true); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Root(mark, false); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Root(mark, false);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Root(mark, false);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Root(mark, false);
  }
  void OnMapEnd() override {}

 private:
  void Root(const YAML::Mark& mark, bool is_null) {
    if (seen_) return;
    seen_ = true;
    mark_ = mark;
    is_null_ = is_null;
  }

  bool seen_ = false;
  bool is_null_ = true;
  YAML::Mark mark_ = YAML::Mark::null_mark();
};

}  // namespace

DocumentScan ScanDocuments(std::string_view text) {
  DocumentScan scan;
  std::istringstream stream{std::string(text)};
  YAML::Parser parser(stream);
  int last_empty = -1;  // where the last empty document was found
  for (int index = 0;; ++index) {
    DocumentRoot root;
    if (!parser.HandleNextDocument(root)) return scan;
    const int pos = std::max(root.mark().pos, 0);
    if (root.is_null()) {
      // A trailing "---" gives an empty document. Two at the same place: the parser is stuck.
      if (last_empty == pos) {
        scan.stuck = root.mark();
        return scan;
      }
      last_empty = pos;
      continue;
    }
    last_empty = -1;
    scan.roots.emplace_back(index, root.mark());
  }
}

}  // namespace align::inference
