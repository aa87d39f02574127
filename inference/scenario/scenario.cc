#include "inference/scenario/scenario.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "inference/eval/certainty.h"
#include "inference/eval/explanation.h"
#include "inference/io/assessment_reader.h"
#include "inference/io/yaml_documents.h"
#include "inference/io/yaml_scalars.h"
#include "inference/portfolio/portfolio.h"
#include "inference/util/absl_view.h"
#include "inference/util/format.h"
#include "inference/util/status_macros.h"
#include "inference/util/suggest.h"
#include "yaml-cpp/depthguard.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/yaml.h"

namespace align::inference {
namespace {

namespace fs = std::filesystem;

// Certainty tolerance of a single number ("0.91" is 0.905 .. 0.915); portfolio figures are
// written with one decimal, as reports show them.
constexpr double kCertaintyTolerance = 0.005;
constexpr double kFigureTolerance = 0.05;
// Name of the text an inline assessment is emitted to; rewritten to scenario positions.
constexpr std::string_view kInlineOrigin = "<inline assessment>";

std::string Quote(std::string_view text) { return absl::StrCat("'", AbslView(text), "'"); }

// A certainty or figure as messages show it: at most four decimals.
std::string Show(double value) { return FormatNumber(std::round(value * 1e4) / 1e4); }

// ---------------------------------------------------------------------------------------------
// Problems in one scenario file, reported together and sorted by position.

class Problems {
 public:
  explicit Problems(std::string origin) : origin_(std::move(origin)) {}

  void Add(int line, int column, std::string message) {
    items_.push_back({line, column, std::move(message)});
  }
  void Add(const YAML::Mark& mark, std::string message) {
    if (mark.is_null()) return Add(0, 0, std::move(message));
    Add(mark.line + 1, mark.column + 1, std::move(message));
  }
  bool empty() const { return items_.empty(); }

  // InvalidArgument, one "<origin>:<line>:<col>: <message>" per line; repeats (the same problem
  // found in every row of a table) are dropped.
  absl::Status ToStatus() const {
    std::vector<const Item*> sorted;
    for (const Item& item : items_) sorted.push_back(&item);
    std::stable_sort(sorted.begin(), sorted.end(), [](const Item* a, const Item* b) {
      return std::pair(a->line, a->column) < std::pair(b->line, b->column);
    });
    std::set<std::tuple<int, int, std::string>> seen;
    std::vector<std::string> lines;
    for (const Item* item : sorted) {
      if (!seen.insert({item->line, item->column, item->message}).second) continue;
      lines.push_back(item->line > 0 ? absl::StrCat(origin_, ":", item->line, ":", item->column,
                                                    ": ", item->message)
                                     : absl::StrCat(origin_, ": ", item->message));
    }
    return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
  }

 private:
  struct Item {
    int line;
    int column;
    std::string message;
  };
  std::string origin_;
  std::vector<Item> items_;
};

// ---------------------------------------------------------------------------------------------
// YAML helpers.

std::string ShowNode(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      return absl::StrCat("\"", absl::Utf8SafeCEscape(node.Scalar()), "\"");
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}



// Every document in `text`. Checks the text with the event parser first: YAML::LoadAll in
// yaml-cpp 0.7 loops forever on input such as "," (jbeder/yaml-cpp#1040), and the event parser
// shows where it gets stuck.
std::optional<std::vector<YAML::Node>> LoadDocuments(std::string_view text, Problems& problems) {
  try {
    DocumentScan scan = ScanDocuments(text);
    if (scan.stuck) {
      const size_t pos = static_cast<size_t>(std::max(scan.stuck->pos, 0));
      problems.Add(*scan.stuck, pos < text.size()
                                    ? absl::StrCat("unexpected ", Quote(text.substr(pos, 1)))
                                    : std::string("unexpected end of text"));
      return std::nullopt;
    }
    return YAML::LoadAll(std::string(text));
  } catch (const YAML::DeepRecursion& error) {
    problems.Add(error.mark, "nested too deeply");
  } catch (const YAML::Exception& error) {
    problems.Add(error.mark, error.msg);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Table rows and their placeholders: "$name" or "${name}"; "$$" is a literal "$".

bool IsNameStart(char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

struct Placeholder {
  size_t begin = 0, end = 0;  // the whole "$name" / "${name}"
  std::string name;
};

// The next placeholder at or after `from`, skipping "$$"; nullopt when there is none.
std::optional<Placeholder> NextPlaceholder(std::string_view text, size_t from) {
  for (size_t i = text.find('$', from); i != std::string_view::npos; i = text.find('$', i)) {
    if (i + 1 < text.size() && text[i + 1] == '$') {
      i += 2;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      size_t close = text.find('}', i + 2);
      if (close != std::string_view::npos && close > i + 2 && IsNameStart(text[i + 2]) &&
          std::all_of(text.begin() + i + 3, text.begin() + close, IsNameChar)) {
        return Placeholder{i, close + 1, std::string(text.substr(i + 2, close - i - 2))};
      }
    } else if (i + 1 < text.size() && IsNameStart(text[i + 1])) {
      size_t end = i + 2;
      while (end < text.size() && IsNameChar(text[end])) ++end;
      return Placeholder{i, end, std::string(text.substr(i + 1, end - i - 1))};
    }
    ++i;
  }
  return std::nullopt;
}

struct Row {
  int number = 0;  // from 1
  YAML::Mark mark;
  std::vector<std::pair<std::string, YAML::Node>> values;  // in file order
  std::vector<YAML::Mark> key_marks;
  std::set<std::string> used;

  const YAML::Node* Find(const std::string& name) const {
    for (const auto& [key, value] : values) {
      if (key == name) return &value;
    }
    return nullptr;
  }
};

// A value as a scenario name shows it, on one line and cut to about 40 bytes: "55", "rising",
// "{csat: 62, demand.fulfilment: 70}".
std::string OneLine(const YAML::Node& value) {
  std::vector<std::string> parts;
  switch (value.Type()) {
    case YAML::NodeType::Scalar:
      return value.Scalar();
    case YAML::NodeType::Sequence:
      for (const YAML::Node& item : value) parts.push_back(OneLine(item));
      return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
    case YAML::NodeType::Map:
      for (const auto& entry : value) {
        parts.push_back(absl::StrCat(OneLine(entry.first), ": ", OneLine(entry.second)));
      }
      return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "~";
}

std::string ShowRowValue(const YAML::Node& value) {
  constexpr size_t kMaxBytes = 40;
  const std::string text = OneLine(value);
  std::string line;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (c == ' ' && !line.empty() && line.back() == ' ') continue;
    line.push_back(c);
  }
  if (line.size() <= kMaxBytes) return line;
  size_t cut = kMaxBytes;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  return line.substr(0, cut) + "…";
}

// ---------------------------------------------------------------------------------------------
// Positions of an emitted inline document, mapped back to the scenario file.

struct MappedPosition {
  int line = 0, column = 0;  // in the emitted text, from 1
  YAML::Mark original;
};

void CollectMarks(const YAML::Node& node, std::vector<YAML::Mark>& marks) {
  marks.push_back(node.Mark());
  if (node.IsMap()) {
    for (const auto& entry : node) {
      CollectMarks(entry.first, marks);
      CollectMarks(entry.second, marks);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) CollectMarks(item, marks);
  }
}

// ---------------------------------------------------------------------------------------------
// The parser.

constexpr std::string_view kScenarioKeys[] = {"scenario", "description", "assessment",
                                              "observations", "rows", "expect"};
constexpr std::string_view kExpectKeys[] = {
    "top_cause",  "top_pattern", "top_action", "top_finding",    "certainty",
    "concluded",  "absent",      "order",      "count",          "first_question",
    "questions",  "fired",       "not_fired",  "would_fire",     "regions",
    "portfolio"};
constexpr std::string_view kCountKeys[] = {"findings", "patterns", "causes", "actions"};

std::string DidYouMeanAmong(std::string_view word, absl::Span<const std::string_view> names) {
  std::vector<std::string_view> candidates(names.begin(), names.end());
  return DidYouMean(ClosestNames(word, candidates));
}

const char* Article(NodeKind kind) {
  return kind == NodeKind::kIndicator || kind == NodeKind::kAction ? "an " : "a ";
}

std::optional<NodeKind> KindNamed(std::string_view name) {
  if (name == "finding" || name == "findings") return NodeKind::kFinding;
  if (name == "pattern" || name == "patterns") return NodeKind::kPattern;
  if (name == "cause" || name == "causes") return NodeKind::kCause;
  if (name == "action" || name == "actions") return NodeKind::kAction;
  return std::nullopt;
}

// The fields of one scenario map, before rows are applied.
struct ScenarioFields {
  YAML::Node name, assessment, observations, rows, expect;
  YAML::Mark name_mark, assessment_mark, observations_mark, expect_mark;
  bool has_rows = false;
  bool has_observations = false;
};

class ScenarioParser {
 public:
  ScenarioParser(const std::string& origin, fs::path base_dir, const RuleBase& rule_base)
      : origin_(origin), base_dir_(std::move(base_dir)), rules_(rule_base), problems_(origin) {}

  absl::StatusOr<std::vector<Scenario>> Parse(std::string_view text) {
    std::optional<std::vector<YAML::Node>> documents = LoadDocuments(text, problems_);
    if (documents) {
      try {
        for (const YAML::Node& document : *documents) ParseDocument(document);
      } catch (const YAML::Exception& error) {
        // Not expected once the text has parsed; reported rather than thrown all the same.
        problems_.Add(error.mark, error.what());
      }
      if (scenarios_.empty() && problems_.empty()) problems_.Add(0, 0, "no scenarios");
    }
    if (!problems_.empty()) return problems_.ToStatus();
    return std::move(scenarios_);
  }

 private:
  void Error(const YAML::Mark& at, std::string message) {
    // A placeholder without a value has been reported; what follows from it would be noise.
    if (!at.is_null() && unresolved_.count({at.line, at.column})) return;
    problems_.Add(at, std::move(message));
  }
  void PlaceholderError(const YAML::Mark& at, std::string message) {
    problems_.Add(at, std::move(message));
    if (!at.is_null()) unresolved_.insert({at.line, at.column});
  }

  SourceLocation Location(const YAML::Mark& mark) const {
    if (mark.is_null()) return {origin_, 0, 0};
    return {origin_, mark.line + 1, mark.column + 1};
  }

  // --- Placeholders.

  // The row's value for a placeholder, or null after reporting that there is none.
  const YAML::Node* Lookup(const std::string& name, const YAML::Mark& at) {
    if (row_ == nullptr) {
      PlaceholderError(at, absl::StrCat("$", name,
                             ": placeholders take their values from 'rows', and this scenario "
                             "has none; write $$ for a literal $"));
      return nullptr;
    }
    const YAML::Node* value = row_->Find(name);
    if (value == nullptr) {
      std::vector<std::string_view> names;
      for (const auto& entry : row_->values) names.push_back(entry.first);
      PlaceholderError(at, absl::StrCat("$", name, ": row ", row_->number, " gives no value for it",
                             DidYouMean(ClosestNames(std::string_view(name), names))));
      return nullptr;
    }
    row_->used.insert(name);
    return value;
  }

  // `node`, or the row value when it is a whole placeholder.
  YAML::Node Resolve(const YAML::Node& node) {
    if (!node.IsScalar()) return node;
    const std::string& text = node.Scalar();
    std::optional<Placeholder> p = NextPlaceholder(text, 0);
    if (!p || p->begin != 0 || p->end != text.size()) return node;
    const YAML::Node* value = Lookup(p->name, node.Mark());
    return value != nullptr ? *value : node;
  }

  // A scalar's text with every placeholder replaced by its row value.
  std::string Text(const YAML::Node& node) {
    const std::string& text = node.Scalar();
    std::string out;
    size_t done = 0;
    for (size_t i = text.find('$'); i != std::string::npos; i = text.find('$', done)) {
      if (i + 1 < text.size() && text[i + 1] == '$') {
        out.append(text, done, i + 1 - done);
        done = i + 2;
        continue;
      }
      std::optional<Placeholder> p = NextPlaceholder(text, i);
      if (!p || p->begin != i) {
        out.append(text, done, i + 1 - done);
        done = i + 1;
        continue;
      }
      out.append(text, done, i - done);
      done = p->end;
      const YAML::Node* value = Lookup(p->name, node.Mark());
      if (value == nullptr) {
        out.append(text, p->begin, p->end - p->begin);
        continue;
      }
      if (!value->IsScalar()) {
        Error(node.Mark(), absl::StrCat("$", p->name, ": row ", row_->number, " gives ",
                                        ShowNode(*value),
                                        ", which can only stand for a whole value"));
        continue;
      }
      out += value->Scalar();
    }
    out.append(text, done, std::string::npos);
    return out;
  }

  // A resolved scalar's text; reports and returns nullopt for anything else.
  std::optional<std::string> ScalarText(const YAML::Node& node, const YAML::Mark& at,
                                        std::string_view what, std::string_view expected) {
    if (!node.IsScalar() || node.Scalar().empty()) {
      Error(at, absl::StrCat(AbslView(what), ": expected ", AbslView(expected), ", got ",
                             ShowNode(node)));
      return std::nullopt;
    }
    return Text(node);
  }

  // --- Documents and scenario maps.

  void ParseDocument(const YAML::Node& root) {
    if (root.IsNull()) return;
    if (root.IsMap()) return ParseScenarioMap(root);
    if (root.IsSequence()) {
      for (const YAML::Node& item : root) {
        if (item.IsMap()) {
          ParseScenarioMap(item);
        } else {
          Error(item.Mark(), absl::StrCat("expected a scenario (a map with scenario, assessment "
                                          "and expect), got ",
                                          ShowNode(item)));
        }
      }
      return;
    }
    Error(root.Mark(), absl::StrCat("expected a scenario (a map with scenario, assessment and "
                                    "expect) or a list of them, got ",
                                    ShowNode(root)));
  }

  void ParseScenarioMap(const YAML::Node& map) {
    ScenarioFields fields;
    std::map<std::string, int> seen;
    for (const auto& entry : map) {
      const YAML::Node& key = entry.first;
      const YAML::Node& value = entry.second;
      if (!key.IsScalar()) {
        Error(key.Mark(), absl::StrCat("expected a key, got ", ShowNode(key)));
        continue;
      }
      const std::string& name = key.Scalar();
      auto [it, inserted] = seen.emplace(name, key.Mark().line + 1);
      if (!inserted) {
        Error(key.Mark(), absl::StrCat(name, ": given twice, first at line ", it->second));
        continue;
      }
      if (name == "scenario") {
        fields.name = value;
        fields.name_mark = key.Mark();
      } else if (name == "description") {
        // Documentation only.
      } else if (name == "assessment") {
        fields.assessment = value;
        fields.assessment_mark = value.IsNull() ? key.Mark() : value.Mark();
      } else if (name == "observations") {
        fields.observations = value;
        fields.observations_mark = key.Mark();
        fields.has_observations = true;
      } else if (name == "rows") {
        fields.rows = value;
        fields.has_rows = true;
      } else if (name == "expect") {
        fields.expect = value;
        fields.expect_mark = value.IsNull() ? key.Mark() : value.Mark();
      } else {
        Error(key.Mark(), absl::StrCat("unknown key ", Quote(name),
                                       DidYouMeanAmong(name, kScenarioKeys)));
      }
    }
    bool complete = true;
    for (const char* key : {"scenario", "assessment", "expect"}) {
      if (!seen.count(key)) {
        Error(map.Mark(), absl::StrCat("a scenario needs '", key, "'"));
        complete = false;
      }
    }
    if (!complete) return;
    if (!fields.has_rows) return Instantiate(fields, nullptr);

    if (!fields.rows.IsSequence() || fields.rows.size() == 0) {
      Error(fields.rows.Mark(),
            absl::StrCat("rows: expected a list of maps of placeholder values, got ",
                         fields.rows.IsSequence() ? "an empty list" : ShowNode(fields.rows)));
      return;
    }
    int number = 0;
    for (const YAML::Node& item : fields.rows) {
      Row row;
      row.number = ++number;
      row.mark = item.Mark();
      if (!item.IsMap()) {
        Error(item.Mark(), absl::StrCat("rows: expected a map of placeholder values, got ",
                                        ShowNode(item)));
        continue;
      }
      bool valid = true;
      for (const auto& entry : item) {
        const YAML::Node& key = entry.first;
        const std::string name = key.IsScalar() ? key.Scalar() : "";
        if (name.empty() || !IsNameStart(name[0]) ||
            !std::all_of(name.begin(), name.end(), IsNameChar)) {
          Error(key.Mark(), absl::StrCat("rows: expected a placeholder name (letters, digits "
                                         "and _), got ",
                                         ShowNode(key)));
          valid = false;
        } else if (row.Find(name) != nullptr) {
          Error(key.Mark(), absl::StrCat("rows: ", name, " given twice"));
          valid = false;
        } else {
          row.values.emplace_back(name, entry.second);
          row.key_marks.push_back(key.Mark());
        }
      }
      if (!valid) continue;
      Instantiate(fields, &row);
      for (size_t i = 0; i < row.values.size(); ++i) {
        if (!row.used.count(row.values[i].first)) {
          Error(row.key_marks[i], absl::StrCat("rows: ", row.values[i].first,
                                               " is not used by the scenario (no $",
                                               row.values[i].first, ")"));
        }
      }
    }
  }

  // One runnable scenario from the fields, with the row's values (or none).
  void Instantiate(const ScenarioFields& fields, Row* row) {
    row_ = row;
    Scenario scenario;
    scenario.location = Location(row ? row->mark : fields.name_mark);
    const YAML::Node name_node = Resolve(fields.name);
    const YAML::Mark name_at = fields.name.IsNull() ? fields.name_mark : fields.name.Mark();
    std::optional<std::string> name =
        ScalarText(name_node, name_at, "scenario", "a name for the scenario");
    if (name) {
      scenario.name = *name;
      if (row != nullptr && name_node.IsScalar() && !NextPlaceholder(name_node.Scalar(), 0)) {
        std::vector<std::string> values;
        for (const auto& [key, value] : row->values) {
          values.push_back(absl::StrCat(key, "=", ShowRowValue(value)));
        }
        absl::StrAppend(&scenario.name, " [", absl::StrJoin(values, ", "), "]");
      }
      // Rows whose shortened values read the same are told apart by number.
      if (row != nullptr && names_.count(scenario.name) != 0) {
        absl::StrAppend(&scenario.name, " (row ", row->number, ")");
      }
      auto [it, inserted] = names_.emplace(scenario.name, scenario.location.line);
      if (!inserted) {
        Error(row ? row->mark : name_at,
              absl::StrCat("scenario ", Quote(scenario.name), " is named twice, first at line ",
                           it->second));
      }
    }
    const bool assessment_ok = ReadAssessment(fields, scenario.assessment);
    ParseExpectations(fields, assessment_ok ? &scenario.assessment : nullptr,
                      scenario.expectations);
    scenarios_.push_back(std::move(scenario));
    row_ = nullptr;
  }

  // --- Assessments.

  bool ReadAssessment(const ScenarioFields& fields, proto::Assessment& assessment) {
    const YAML::Node node = Resolve(fields.assessment);
    const YAML::Mark& at = fields.assessment_mark;
    bool ok = true;
    if (node.IsScalar() && !node.Scalar().empty()) {
      const std::string written = Text(node);
      const fs::path path = (base_dir_ / written).lexically_normal();
      absl::StatusOr<proto::Assessment> read = ReadAssessmentFile(path, &rules_.schema());
      if (read.ok()) {
        assessment = *std::move(read);
      } else {
        for (absl::string_view line : absl::StrSplit(read.status().message(), '\n')) {
          Error(at, absl::StrCat("assessment: ", line));
        }
        ok = false;
      }
    } else if (node.IsMap()) {
      ok = ParseInline(node, at, /*wrap=*/"", assessment);
    } else {
      Error(at, absl::StrCat("assessment: expected a file path or an assessment map, got ",
                             ShowNode(node)));
      ok = false;
    }
    if (!fields.has_observations) return ok;
    const YAML::Node overrides = Resolve(fields.observations);
    if (!overrides.IsMap()) {
      Error(fields.observations.IsNull() ? fields.observations_mark : fields.observations.Mark(),
            absl::StrCat("observations: expected a map of indicator ids to values, got ",
                         ShowNode(overrides)));
      return false;
    }
    proto::Assessment extra;
    if (!ParseInline(overrides, fields.observations_mark, "observations", extra)) return false;
    for (const auto& [id, observation] : extra.observations()) {
      (*assessment.mutable_observations())[id] = observation;
    }
    return ok;
  }

  // Emits `node` (under the key `wrap` when given) with placeholders resolved, recording the
  // original position of every emitted node in pre-order: a row's value keeps its own, so that
  // problems with it point at the row. `in_row` is set inside a row value, which is emitted as
  // it is written.
  void Emit(YAML::Emitter& out, const YAML::Node& node, bool in_row,
            std::vector<YAML::Mark>& marks) {
    // Never assign to a YAML::Node that holds a value: that rewrites the tree it belongs to.
    const YAML::Node value = !in_row && node.IsScalar() ? Resolve(node) : node;
    if (!value.is(node)) in_row = true;
    marks.push_back(value.Mark().is_null() ? node.Mark() : value.Mark());
    switch (value.Type()) {
      case YAML::NodeType::Map:
        out << YAML::BeginMap;
        for (const auto& entry : value) {
          out << YAML::Key;
          Emit(out, entry.first, in_row, marks);
          out << YAML::Value;
          Emit(out, entry.second, in_row, marks);
        }
        out << YAML::EndMap;
        break;
      case YAML::NodeType::Sequence:
        out << YAML::BeginSeq;
        for (const auto& item : value) Emit(out, item, in_row, marks);
        out << YAML::EndSeq;
        break;
      case YAML::NodeType::Scalar: {
        const std::string text = in_row ? value.Scalar() : Text(value);
        if (IsPlain(value)) {
          out << text;
        } else {
          out << YAML::DoubleQuoted << text;
        }
        break;
      }
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        out << YAML::Null;
        break;
    }
  }

  // Parses an inline assessment (or, with `wrap`, the map under that key of one) with the
  // assessment reader, reporting its problems at their places in the scenario file.
  bool ParseInline(const YAML::Node& node, const YAML::Mark& at, std::string_view wrap,
                   proto::Assessment& assessment) {
    YAML::Emitter out;
    std::vector<YAML::Mark> marks;
    if (!wrap.empty()) {
      out << YAML::BeginMap << YAML::Key << std::string(wrap) << YAML::Value;
      marks.push_back(at);
      marks.push_back(at);
    }
    Emit(out, node, /*in_row=*/false, marks);
    if (!wrap.empty()) out << YAML::EndMap;
    if (!out.good()) {
      Error(at, absl::StrCat("assessment: cannot be read back: ", out.GetLastError()));
      return false;
    }
    const std::string text = out.c_str();
    absl::StatusOr<proto::Assessment> parsed =
        ParseAssessment(text, kInlineOrigin, &rules_.schema());
    if (parsed.ok()) {
      assessment = *std::move(parsed);
      return true;
    }
    // Where each emitted node came from.
    std::vector<MappedPosition> positions;
    try {
      std::vector<YAML::Mark> emitted;
      CollectMarks(YAML::Load(text), emitted);
      for (size_t i = 0; i < emitted.size() && i < marks.size(); ++i) {
        positions.push_back({emitted[i].line + 1, emitted[i].column + 1, marks[i]});
      }
    } catch (const YAML::Exception&) {
      // Positions stay at the assessment itself.
    }
    std::stable_sort(positions.begin(), positions.end(), [](const auto& a, const auto& b) {
      return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    auto original = [&](int line, int column) -> YAML::Mark {
      YAML::Mark best = at;
      for (const MappedPosition& p : positions) {
        if (std::pair(p.line, p.column) > std::pair(line, column)) break;
        best = p.original;
      }
      return best;
    };
    for (absl::string_view line : absl::StrSplit(parsed.status().message(), '\n')) {
      std::string rest(line);
      YAML::Mark mark = at;
      const std::string prefix = absl::StrCat(AbslView(kInlineOrigin), ":");
      if (rest.rfind(prefix, 0) == 0) {
        rest.erase(0, prefix.size());
        int l = 0, c = 0;
        std::vector<std::string> parts = absl::StrSplit(rest, absl::MaxSplits(':', 2));
        if (parts.size() == 3 && absl::SimpleAtoi(parts[0], &l) && absl::SimpleAtoi(parts[1], &c)) {
          mark = original(l, c);
          rest = std::string(absl::StripLeadingAsciiWhitespace(parts[2]));
        } else {
          rest = std::string(absl::StripLeadingAsciiWhitespace(rest));
        }
      }
      // "given twice, first at line N" counts lines of the emitted text.
      const std::string_view kAtLine = "at line ";
      if (size_t p = rest.find(kAtLine); p != std::string::npos) {
        size_t digits = p + kAtLine.size(), end = digits;
        while (end < rest.size() && absl::ascii_isdigit(static_cast<unsigned char>(rest[end]))) {
          ++end;
        }
        int l = 0;
        if (absl::SimpleAtoi(absl::string_view(rest).substr(digits, end - digits), &l)) {
          const YAML::Mark m = original(l, std::numeric_limits<int>::max());
          if (!m.is_null()) rest.replace(digits, end - digits, std::to_string(m.line + 1));
        }
      }
      Error(mark, rest);
    }
    return false;
  }

  // --- Expectations.

  struct Item {
    std::string id;
    YAML::Mark mark;
  };

  // A list of ids (or one id), resolved.
  std::vector<Item> Ids(const YAML::Node& value, const YAML::Mark& at, const std::string& key) {
    std::vector<Item> items;
    const YAML::Node list = Resolve(value);
    if (list.IsScalar()) {
      if (auto id = ScalarText(list, at, key, "an id or a list of ids")) {
        items.push_back({*id, list.Mark()});
      }
      return items;
    }
    if (!list.IsSequence()) {
      Error(at, absl::StrCat(key, ": expected a list of ids, got ", ShowNode(list)));
      return items;
    }
    for (const YAML::Node& element : list) {
      const YAML::Node item = Resolve(element);
      if (auto id = ScalarText(item, element.Mark(), key, "an id")) {
        items.push_back({*id, element.Mark()});
      }
    }
    return items;
  }

  // Entries of a map whose keys are texts, resolved.
  std::vector<std::pair<Item, YAML::Node>> Entries(const YAML::Node& value, const YAML::Mark& at,
                                                   const std::string& key,
                                                   std::string_view expected) {
    std::vector<std::pair<Item, YAML::Node>> entries;
    const YAML::Node map = Resolve(value);
    if (!map.IsMap()) {
      Error(at, absl::StrCat(key, ": expected ", AbslView(expected), ", got ", ShowNode(map)));
      return entries;
    }
    std::map<std::string, int> seen;
    for (const auto& entry : map) {
      const YAML::Node name = Resolve(entry.first);
      auto text = ScalarText(name, entry.first.Mark(), key, "a key");
      if (!text) continue;
      if (auto [it, inserted] = seen.emplace(*text, entry.first.Mark().line + 1); !inserted) {
        Error(entry.first.Mark(),
              absl::StrCat(key, ": ", *text, " given twice, first at line ", it->second));
        continue;
      }
      entries.push_back({{*text, entry.first.Mark()}, Resolve(entry.second)});
    }
    return entries;
  }

  std::optional<bool> Bool(const YAML::Node& node, const YAML::Mark& at, const std::string& what) {
    std::optional<bool> flag;
    if (node.IsScalar() && IsPlain(node)) flag = ParseBool(node.Scalar());
    if (!flag) Error(at, absl::StrCat(what, ": expected true or false, got ", ShowNode(node)));
    return flag;
  }

  // A number (within `tolerance`) or [low, high].
  std::optional<ValueRange> Range(const YAML::Node& node, const YAML::Mark& at,
                                  const std::string& what, double tolerance, bool whole) {
    const std::string expected =
        whole ? "a whole number or [low, high]" : "a number or [low, high]";
    auto number = [&](const YAML::Node& n) -> std::optional<double> {
      std::optional<double> value;
      if (n.IsScalar() && IsPlain(n)) value = ParseNumber(n.Scalar());
      if (value && whole && (*value != std::floor(*value) || *value < 0)) value.reset();
      return value;
    };
    if (node.IsScalar()) {
      if (auto value = number(node)) {
        return ValueRange{*value - tolerance, *value + tolerance, false, node.Scalar()};
      }
    } else if (node.IsSequence() && node.size() == 2) {
      auto lo = number(node[0]);
      auto hi = number(node[1]);
      if (lo && hi) {
        if (*lo > *hi) {
          Error(at, absl::StrCat(what, ": the range [", node[0].Scalar(), ", ", node[1].Scalar(),
                                 "] is empty; write [low, high]"));
          return std::nullopt;
        }
        return ValueRange{*lo, *hi, false,
                          absl::StrCat("[", node[0].Scalar(), ", ", node[1].Scalar(), "]")};
      }
    }
    Error(at, absl::StrCat(what, ": expected ", expected, ", got ", ShowNode(node)));
    return std::nullopt;
  }

  std::string NodeSuggestion(std::string_view id, std::optional<NodeKind> kind,
                             bool conclusions) const {
    std::vector<std::string_view> ids;
    for (const NodeInfo& node : rules_.nodes()) {
      if (kind ? node.kind == *kind
               : (conclusions ? node.kind != NodeKind::kIndicator
                              : node.kind == NodeKind::kIndicator && !node.builtin)) {
        ids.push_back(node.id);
      }
    }
    return DidYouMean(ClosestNames(id, ids));
  }

  // Whether `id` is a declared conclusion, of `kind` when given; reports otherwise.
  bool CheckConclusion(const std::string& key, const Item& item,
                       std::optional<NodeKind> kind = std::nullopt) {
    std::optional<int> node = rules_.FindNode(item.id);
    if (!node) {
      Error(item.mark, absl::StrCat(key, ": unknown node ", Quote(item.id),
                                    NodeSuggestion(item.id, kind, true)));
      return false;
    }
    const NodeKind actual = rules_.node(*node).kind;
    if (kind && actual != *kind) {
      Error(item.mark, absl::StrCat(key, ": ", Quote(item.id), " is ", Article(actual),
                                    KindName(actual), ", not ", Article(*kind), KindName(*kind)));
      return false;
    }
    if (actual == NodeKind::kIndicator) {
      Error(item.mark, absl::StrCat(key, ": ", Quote(item.id),
                                    " is an indicator; expectations name findings, patterns, "
                                    "causes or actions"));
      return false;
    }
    return true;
  }

  bool CheckIndicator(const std::string& key, const Item& item) {
    std::optional<int> node = rules_.FindNode(item.id);
    if (!node) {
      Error(item.mark, absl::StrCat(key, ": unknown indicator ", Quote(item.id),
                                    NodeSuggestion(item.id, std::nullopt, false)));
      return false;
    }
    const NodeInfo& info = rules_.node(*node);
    if (info.kind != NodeKind::kIndicator) {
      Error(item.mark, absl::StrCat(key, ": ", Quote(item.id), " is ", Article(info.kind),
                                    KindName(info.kind), ", not an indicator"));
      return false;
    }
    if (info.builtin) {
      Error(item.mark, absl::StrCat(key, ": ", Quote(item.id),
                                    " is computed from the service areas and never asked about"));
      return false;
    }
    return true;
  }

  bool CheckRule(const std::string& key, const Item& item) {
    if (rules_.FindRule(item.id)) return true;
    std::vector<std::string_view> ids;
    for (const Rule& rule : rules_.rules()) ids.push_back(rule.id);
    Error(item.mark, absl::StrCat(key, ": unknown rule ", Quote(item.id),
                                  DidYouMean(ClosestNames(std::string_view(item.id), ids))));
    return false;
  }

  Expectation Make(ExpectationKind kind, const std::string& key, const YAML::Mark& at,
                   std::string subject = "") {
    Expectation e;
    e.kind = kind;
    e.key = key;
    e.location = Location(at);
    e.subject = std::move(subject);
    return e;
  }

  void ParseExpectations(const ScenarioFields& fields, const proto::Assessment* assessment,
                         std::vector<Expectation>& out) {
    const YAML::Node expect = Resolve(fields.expect);
    if (!expect.IsMap() || expect.size() == 0) {
      Error(fields.expect_mark,
            absl::StrCat("expect: expected a map of expectations (top_cause, certainty, "
                         "concluded, absent, …), got ",
                         expect.IsMap() ? "an empty map" : ShowNode(expect)));
      return;
    }
    std::map<std::string, int> seen;
    for (const auto& entry : expect) {
      const YAML::Node& key_node = entry.first;
      if (!key_node.IsScalar()) {
        Error(key_node.Mark(), absl::StrCat("expect: expected a key, got ", ShowNode(key_node)));
        continue;
      }
      const std::string key = key_node.Scalar();
      if (auto [it, inserted] = seen.emplace(key, key_node.Mark().line + 1); !inserted) {
        Error(key_node.Mark(), absl::StrCat(key, ": given twice, first at line ", it->second));
        continue;
      }
      const YAML::Node& value = entry.second;
      const YAML::Mark at = value.IsNull() ? key_node.Mark() : value.Mark();
      ParseExpectation(key, value, at, assessment, out);
    }
  }

  void ParseExpectation(const std::string& key, const YAML::Node& value, const YAML::Mark& at,
                        const proto::Assessment* assessment, std::vector<Expectation>& out) {
    if (key.rfind("top_", 0) == 0 && std::find(std::begin(kExpectKeys), std::end(kExpectKeys),
                                               key) != std::end(kExpectKeys)) {
      const NodeKind kind = *KindNamed(key.substr(4));
      const YAML::Node node = Resolve(value);
      auto id = ScalarText(node, at, key, absl::StrCat("a ", key.substr(4), " id or none"));
      if (!id) return;
      Expectation e = Make(ExpectationKind::kTop, key, at, std::string(KindName(kind)));
      if (*id != "none") {
        if (!CheckConclusion(key, {*id, node.Mark()}, kind)) return;
        e.value = *id;
      }
      out.push_back(std::move(e));
    } else if (key == "certainty") {
      for (auto& [item, range_node] :
           Entries(value, at, key, "a map of conclusion ids to a number or [low, high]")) {
        const std::string what = absl::StrCat(key, " ", item.id);
        auto range = Range(range_node, range_node.IsNull() ? item.mark : range_node.Mark(), what,
                           kCertaintyTolerance, false);
        if (!CheckConclusion(key, item) || !range) continue;
        Expectation e = Make(ExpectationKind::kCertainty, key, item.mark, item.id);
        e.range = *range;
        out.push_back(std::move(e));
      }
    } else if (key == "concluded" || key == "fired") {
      const bool rules = key == "fired";
      std::vector<std::pair<Item, bool>> items;
      if (Resolve(value).IsMap()) {
        for (auto& [item, flag_node] : Entries(value, at, key, "")) {
          auto flag = Bool(flag_node, flag_node.IsNull() ? item.mark : flag_node.Mark(),
                           absl::StrCat(key, " ", item.id));
          if (flag) items.push_back({item, *flag});
        }
      } else {
        for (Item& item : Ids(value, at, key)) items.push_back({item, true});
      }
      for (auto& [item, flag] : items) {
        if (rules ? !CheckRule(key, item) : !CheckConclusion(key, item)) continue;
        const ExpectationKind kind = rules ? (flag ? ExpectationKind::kFired
                                                   : ExpectationKind::kNotFired)
                                           : (flag ? ExpectationKind::kConcluded
                                                   : ExpectationKind::kAbsent);
        out.push_back(Make(kind, key, item.mark, item.id));
      }
    } else if (key == "absent" || key == "not_fired" || key == "would_fire" ||
               key == "questions") {
      for (Item& item : Ids(value, at, key)) {
        if (key == "absent") {
          if (CheckConclusion(key, item)) {
            out.push_back(Make(ExpectationKind::kAbsent, key, item.mark, item.id));
          }
        } else if (key == "questions") {
          if (CheckIndicator(key, item)) {
            out.push_back(Make(ExpectationKind::kQuestion, key, item.mark, item.id));
          }
        } else if (CheckRule(key, item)) {
          out.push_back(Make(key == "would_fire" ? ExpectationKind::kWouldFire
                                                 : ExpectationKind::kNotFired,
                             key, item.mark, item.id));
        }
      }
    } else if (key == "order") {
      // One ranking, or a list of them: [[pattern.a, pattern.b], [action.c, action.d]].
      const YAML::Node list = Resolve(value);
      std::vector<std::pair<YAML::Node, YAML::Mark>> rankings;
      if (list.IsSequence() && list.size() > 0 && Resolve(list[0]).IsSequence()) {
        for (const YAML::Node& ranking : list) rankings.push_back({ranking, ranking.Mark()});
      } else {
        rankings.push_back({value, at});
      }
      for (const auto& [ranking, ranking_at] : rankings) {
        Expectation e = Make(ExpectationKind::kOrder, key, ranking_at);
        bool valid = true;
        for (Item& item : Ids(ranking, ranking_at, key)) {
          valid = CheckConclusion(key, item) && valid;
          e.ids.push_back(item.id);
        }
        if (valid && e.ids.size() < 2) {
          Error(ranking_at, "order: expected a list of at least two ids, most certain first");
          valid = false;
        }
        if (valid) out.push_back(std::move(e));
      }
    } else if (key == "count") {
      for (auto& [item, range_node] :
           Entries(value, at, key, "a map such as {causes: 1, patterns: [1, 2]}")) {
        auto kind = KindNamed(item.id);
        if (!kind || item.id.back() != 's') {
          Error(item.mark, absl::StrCat("count: expected findings, patterns, causes or actions, "
                                        "got ",
                                        Quote(item.id), DidYouMeanAmong(item.id, kCountKeys)));
          continue;
        }
        auto range = Range(range_node, range_node.IsNull() ? item.mark : range_node.Mark(),
                           absl::StrCat(key, " ", item.id), 0, true);
        if (!range) continue;
        Expectation e = Make(ExpectationKind::kCount, key, item.mark, std::string(KindName(*kind)));
        e.range = *range;
        out.push_back(std::move(e));
      }
    } else if (key == "first_question") {
      const YAML::Node node = Resolve(value);
      auto id = ScalarText(node, at, key, "an indicator id or none");
      if (!id) return;
      Expectation e = Make(ExpectationKind::kFirstQuestion, key, at);
      if (*id != "none") {
        if (!CheckIndicator(key, {*id, node.Mark()})) return;
        e.value = *id;
      }
      out.push_back(std::move(e));
    } else if (key == "regions") {
      for (auto& [item, region_node] :
           Entries(value, at, key, "a map of service area names to regions")) {
        const YAML::Mark region_at = region_node.IsNull() ? item.mark : region_node.Mark();
        auto region = ScalarText(region_node, region_at, absl::StrCat(key, " ", Quote(item.id)),
                                 "a region name");
        if (!region) continue;
        if (!RegionFromName(*region)) {
          std::vector<std::string_view> names;
          std::vector<std::string> listed;
          for (int r = proto::REGION_ALIGNED; r <= proto::REGION_OUTSIDE; ++r) {
            names.push_back(RegionName(static_cast<proto::Region>(r)));
            listed.emplace_back(names.back());
          }
          Error(region_at, absl::StrCat("regions: unknown region ", Quote(*region),
                                        DidYouMean(ClosestNames(std::string_view(*region), names)),
                                        " (regions: ", absl::StrJoin(listed, ", "), ")"));
          continue;
        }
        if (assessment != nullptr) {
          std::vector<std::string_view> areas;
          bool found = false;
          for (const proto::ServiceArea& area : assessment->service_areas()) {
            areas.push_back(area.name());
            found = found || area.name() == item.id;
          }
          if (!found) {
            Error(item.mark, absl::StrCat("regions: the assessment has no service area named ",
                                          Quote(item.id),
                                          DidYouMean(ClosestNames(std::string_view(item.id),
                                                                  areas))));
            continue;
          }
        }
        Expectation e = Make(ExpectationKind::kRegion, key, item.mark, item.id);
        e.value = *region;
        out.push_back(std::move(e));
      }
    } else if (key == "portfolio") {
      const std::vector<std::string>& figures = PortfolioIndicatorIds();
      for (auto& [item, range_node] :
           Entries(value, at, key, "a map of portfolio figures to a number or [low, high]")) {
        std::string id = item.id.rfind("portfolio.", 0) == 0 ? item.id
                                                             : absl::StrCat("portfolio.", item.id);
        if (std::find(figures.begin(), figures.end(), id) == figures.end()) {
          std::vector<std::string_view> names;
          for (const std::string& figure : figures) names.push_back(figure);
          Error(item.mark, absl::StrCat("portfolio: unknown figure ", Quote(item.id),
                                        DidYouMean(ClosestNames(std::string_view(id), names))));
          continue;
        }
        Expectation e = Make(ExpectationKind::kPortfolio, key, item.mark, id);
        if (range_node.IsScalar() && range_node.Scalar() == "unknown") {
          e.range.unknown = true;
          e.range.text = "unknown";
        } else {
          auto range = Range(range_node, range_node.IsNull() ? item.mark : range_node.Mark(),
                             absl::StrCat(key, " ", item.id), kFigureTolerance, false);
          if (!range) continue;
          e.range = *range;
        }
        out.push_back(std::move(e));
      }
    } else {
      Error(at, absl::StrCat("unknown expectation ", Quote(key),
                             DidYouMeanAmong(key, kExpectKeys)));
    }
  }

  FileName origin_;  // shared by every location made here
  fs::path base_dir_;
  const RuleBase& rules_;
  Problems problems_;
  Row* row_ = nullptr;
  std::set<std::pair<int, int>> unresolved_;  // positions of placeholders without a value
  std::map<std::string, int> names_;  // scenario names, to the line first given
  std::vector<Scenario> scenarios_;
};

// ---------------------------------------------------------------------------------------------
// Checking a diagnosis.

class Checker {
 public:
  Checker(const RuleBase& rules, const Evaluation& evaluation, const proto::Diagnosis& diagnosis,
          const PortfolioAnalysis& portfolio, const proto::Assessment& assessment)
      : rules_(rules),
        evaluation_(evaluation),
        diagnosis_(diagnosis),
        portfolio_(portfolio),
        assessment_(assessment) {}

  void Check(const Expectation& e, std::vector<ScenarioFailure>& failures) const {
    auto fail = [&](std::string message, std::string explanation = "") {
      failures.push_back({e.location, std::move(message), std::move(explanation)});
    };
    switch (e.kind) {
      case ExpectationKind::kTop: {
        const auto& list = Concluded(*KindNamed(e.subject));
        const std::string actual = list.empty() ? "" : list.Get(0).id();
        if (actual == e.value) return;
        const std::string got =
            actual.empty() ? absl::StrCat("none (no ", e.subject, " concluded)")
                           : absl::StrCat(actual, " (certainty ", Show(list.Get(0).certainty()),
                                          ")");
        std::string explanation;
        if (!e.value.empty()) explanation = Explain(e.value);
        if (!actual.empty()) {
          if (!explanation.empty()) explanation += "\n";
          explanation += Explain(actual);
        }
        fail(absl::StrCat(e.key, ": expected ", e.value.empty() ? "none" : e.value, ", got ", got),
             explanation);
        return;
      }
      case ExpectationKind::kCertainty: {
        const double c = Certainty(e.subject);
        if (c >= e.range.lo - 1e-9 && c <= e.range.hi + 1e-9) return;
        fail(absl::StrCat(e.key, " ", e.subject, ": expected ", e.range.text, ", got ", Show(c)),
             Explain(e.subject));
        return;
      }
      case ExpectationKind::kConcluded: {
        const double c = Certainty(e.subject);
        if (c > kFiringThreshold) return;
        fail(absl::StrCat(e.key, " ", e.subject, ": expected certainty above ",
                          FormatNumber(kFiringThreshold), ", got ", Show(c)),
             Explain(e.subject));
        return;
      }
      case ExpectationKind::kAbsent: {
        const double c = Certainty(e.subject);
        if (c <= kFiringThreshold) return;
        fail(absl::StrCat(e.key, " ", e.subject, ": expected certainty at most ",
                          FormatNumber(kFiringThreshold), ", got ", Show(c)),
             Explain(e.subject));
        return;
      }
      case ExpectationKind::kOrder: {
        std::vector<std::string> shown;
        for (const std::string& id : e.ids) {
          shown.push_back(absl::StrCat(id, " ", Show(Certainty(id))));
        }
        for (const std::string& id : e.ids) {
          if (Certainty(id) > kFiringThreshold) continue;
          fail(absl::StrCat(e.key, ": expected ", absl::StrJoin(e.ids, ", "), " concluded in this "
                            "order, but ", id, " is not concluded; got ",
                            absl::StrJoin(shown, ", ")),
               Explain(id));
          return;
        }
        for (size_t i = 0; i + 1 < e.ids.size(); ++i) {
          if (Before(e.ids[i], e.ids[i + 1])) continue;
          fail(absl::StrCat(e.key, ": expected ", e.ids[i], " before ", e.ids[i + 1], "; got ",
                            absl::StrJoin(shown, ", ")),
               absl::StrCat(Explain(e.ids[i]), "\n", Explain(e.ids[i + 1])));
          return;
        }
        return;
      }
      case ExpectationKind::kCount: {
        const auto& list = Concluded(*KindNamed(e.subject));
        const double n = list.size();
        if (n >= e.range.lo && n <= e.range.hi) return;
        std::vector<std::string> shown;
        for (const proto::Conclusion& c : list) {
          shown.push_back(absl::StrCat(c.id(), " ", Show(c.certainty())));
        }
        fail(absl::StrCat(e.key, " ", e.subject, "s: expected ", e.range.text, ", got ",
                          list.size(), shown.empty() ? "" : ": ", absl::StrJoin(shown, ", ")));
        return;
      }
      case ExpectationKind::kFirstQuestion: {
        const auto& questions = diagnosis_.open_questions();
        const std::string actual = questions.empty() ? "" : questions.Get(0).indicator();
        if (actual == e.value) return;
        fail(absl::StrCat(e.key, ": expected ", e.value.empty() ? "none" : e.value, ", got ",
                          actual.empty() ? "none (no open question)" : actual),
             QuestionsText(e.value));
        return;
      }
      case ExpectationKind::kQuestion: {
        for (const proto::OpenQuestion& q : diagnosis_.open_questions()) {
          if (q.indicator() == e.subject) return;
        }
        fail(absl::StrCat(e.key, ": expected ", e.subject, " among the open questions, got ",
                          diagnosis_.open_questions().empty() ? "none" : "others"),
             QuestionsText(e.subject));
        return;
      }
      case ExpectationKind::kFired:
      case ExpectationKind::kNotFired:
      case ExpectationKind::kWouldFire: {
        const int r = *rules_.FindRule(e.subject);
        const RuleStatus status = evaluation_.rules[r].status();
        const RuleStatus wanted = e.kind == ExpectationKind::kFired       ? RuleStatus::kFired
                                  : e.kind == ExpectationKind::kWouldFire ? RuleStatus::kBlocked
                                                                          : status;
        const bool ok = e.kind == ExpectationKind::kNotFired ? status != RuleStatus::kFired
                                                             : status == wanted;
        if (ok) return;
        const std::string expected = e.kind == ExpectationKind::kFired ? "the rule to fire"
                                     : e.kind == ExpectationKind::kNotFired
                                         ? "the rule not to fire"
                                         : "the rule to wait for unknown indicators";
        fail(absl::StrCat(e.key, " ", e.subject, ": expected ", expected, ", but it ",
                          StatusText(r)),
             RuleLine(r));
        return;
      }
      case ExpectationKind::kRegion: {
        for (int i = 0; i < assessment_.service_areas_size(); ++i) {
          const proto::ServiceArea& area = assessment_.service_areas(i);
          if (area.name() != e.subject) continue;
          const std::string actual(RegionName(ClassifyArea(area)));
          if (actual == e.value) return;
          fail(absl::StrCat(e.key, " \"", e.subject, "\": expected ", e.value, ", got ", actual),
               AreaText(area, actual));
          return;
        }
        fail(absl::StrCat(e.key, " \"", e.subject, "\": the assessment has no such service area"));
        return;
      }
      case ExpectationKind::kPortfolio: {
        const std::vector<std::string>& ids = PortfolioIndicatorIds();
        const size_t index = std::find(ids.begin(), ids.end(), e.subject) - ids.begin();
        std::optional<double> actual;
        if (index < portfolio_.figures.size()) actual = portfolio_.figures[index];
        if (e.range.unknown ? !actual.has_value()
                            : actual && *actual >= e.range.lo - 1e-9 &&
                                  *actual <= e.range.hi + 1e-9) {
          return;
        }
        fail(absl::StrCat(e.key, " ", e.subject.substr(std::string_view("portfolio.").size()),
                          ": expected ", e.range.text, ", got ",
                          actual ? Show(*actual) : "unknown"));
        return;
      }
    }
  }

 private:
  const google::protobuf::RepeatedPtrField<proto::Conclusion>& Concluded(NodeKind kind) const {
    switch (kind) {
      case NodeKind::kPattern: return diagnosis_.patterns();
      case NodeKind::kCause: return diagnosis_.causes();
      case NodeKind::kAction: return diagnosis_.actions();
      default: return diagnosis_.findings();
    }
  }

  int Node(const std::string& id) const { return *rules_.FindNode(id); }
  double Certainty(const std::string& id) const { return evaluation_.certainty[Node(id)]; }

  // Whether `a` ranks before `b` in a diagnosis: more certain, ties by id.
  bool Before(const std::string& a, const std::string& b) const {
    const double ca = Certainty(a), cb = Certainty(b);
    return ca != cb ? ca > cb : Node(a) < Node(b);
  }

  std::string Explain(const std::string& id) const { return ExplanationText(Node(id)); }

  // The node's HOW / WHY-NOT in sentences (or why there are none).
  std::string ExplanationText(int node) const {
    absl::StatusOr<proto::Explanation> explanation =
        ExplainNode(rules_, evaluation_, node, /*all_rules=*/true);
    return explanation.ok() ? explanation->text() : std::string(explanation.status().message());
  }

  std::string StatusText(int r) const {
    const RuleState& state = evaluation_.rules[r];
    switch (state.status()) {
      case RuleStatus::kFired:
        return absl::StrCat("fired (premise ", Show(state.premise.lo), ")");
      case RuleStatus::kBlocked:
        return "waits for unknown indicators";
      case RuleStatus::kFailed:
        break;
    }
    return absl::StrCat("did not fire (premise ", Show(state.premise.lo), ")");
  }

  // The rule's line of its conclusion's HOW / WHY-NOT.
  std::string RuleLine(int r) const {
    const Rule& rule = rules_.rules()[r];
    const std::string text = ExplanationText(rule.conclusion);
    const std::string start = absl::StrCat("- rule ", rule.id, " ");
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      if (absl::StartsWith(line, start)) return std::string(line.substr(2));
    }
    return text;
  }

  std::string QuestionsText(const std::string& expected) const {
    std::vector<std::string> lines;
    if (!expected.empty()) lines.push_back(Explain(expected));
    int n = 0;
    for (const proto::OpenQuestion& q : diagnosis_.open_questions()) {
      if (++n > 5) {
        lines.push_back(absl::StrCat("… and ", diagnosis_.open_questions_size() - 5,
                                     " more open questions"));
        break;
      }
      lines.push_back(absl::StrCat("open question ", n, ": ", q.indicator(), " (impact ",
                                   Show(q.impact()), "): ", q.why()));
    }
    return absl::StrJoin(lines, "\n");
  }

  static std::string AreaText(const proto::ServiceArea& area, const std::string& region) {
    auto level = [](proto::Level l) {
      switch (l) {
        case proto::LEVEL_NONE: return "none";
        case proto::LEVEL_LOW: return "low";
        case proto::LEVEL_MEDIUM: return "medium";
        case proto::LEVEL_HIGH: return "high";
        default: return "not given";
      }
    };
    return absl::StrCat("\"", area.name(), "\" is in ", region, ": strategic intent ",
                        area.strategic_intent() ? "yes" : "no", ", market space ",
                        area.market_space() ? "yes" : "no", ", demand ", level(area.demand()),
                        ", opportunity ", area.opportunity() ? "yes" : "no", ", capability ",
                        level(area.capability().level()), ".");
  }

  const RuleBase& rules_;
  const Evaluation& evaluation_;
  const proto::Diagnosis& diagnosis_;
  const PortfolioAnalysis& portfolio_;
  const proto::Assessment& assessment_;
};

}  // namespace

absl::StatusOr<std::vector<Scenario>> ParseScenarios(std::string_view text,
                                                     const std::string& origin,
                                                     const fs::path& base_dir,
                                                     const RuleBase& rule_base) {
  return ScenarioParser(origin, base_dir, rule_base).Parse(text);
}

absl::StatusOr<std::vector<Scenario>> ReadScenarioFile(const fs::path& path,
                                                       const RuleBase& rule_base) {
  std::error_code error;
  if (!fs::exists(path, error)) {
    return absl::NotFoundError(absl::StrCat(path.string(), ": no such file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in || fs::is_directory(path, error)) {
    return absl::FailedPreconditionError(absl::StrCat(path.string(), ": cannot be read"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ParseScenarios(text.str(), path.string(), path.parent_path(), rule_base);
}

absl::StatusOr<std::vector<fs::path>> FindScenarioFiles(const fs::path& path) {
  std::error_code error;
  if (!fs::exists(path, error)) {
    return absl::NotFoundError(absl::StrCat(path.string(), ": no such file or folder"));
  }
  if (!fs::is_directory(path, error)) return std::vector<fs::path>{path};
  std::vector<fs::path> paths;
  for (fs::recursive_directory_iterator it(path, error), end; !error && it != end;
       it.increment(error)) {
    const std::string extension = it->path().extension().string();
    if (it->is_regular_file(error) && (extension == ".yaml" || extension == ".yml")) {
      paths.push_back(it->path());
    }
  }
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat(path.string(), ": cannot be listed: ", error.message()));
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

ScenarioCoverage::ScenarioCoverage(const RuleBase& rule_base)
    : rule_base_(&rule_base),
      fired_(rule_base.rules().size(), false),
      concluded_(rule_base.nodes().size(), false) {
  for (size_t r = 0; r < rule_base.rules().size(); ++r) {
    const Rule& rule = rule_base.rules()[r];
    first_condition_.push_back(static_cast<int>(conditions_.size()));
    for (const Leaf& leaf : rule.leaves) {
      conditions_.push_back({static_cast<int>(r), leaf.text, false, false});
    }
  }
}

void ScenarioCoverage::Record(const Evaluation& evaluation) {
  ++scenarios_;
  const RuleBase& rules = *rule_base_;
  for (size_t r = 0; r < rules.rules().size(); ++r) {
    const Rule& rule = rules.rules()[r];
    if (evaluation.rules[r].status() == RuleStatus::kFired) fired_[r] = true;
    absl::Span<const Op> plan = rules.Plan(rule);
    std::vector<Interval> values = TracePlan(rules, rule, evaluation, /*possible=*/true);
    for (size_t i = 0; i < plan.size() && i < values.size(); ++i) {
      if (plan[i].leaf < 0 || values[i].lo != values[i].hi) continue;
      ConditionCoverage& c = conditions_[first_condition_[r] + plan[i].leaf];
      (values[i].lo > kFiringThreshold ? c.seen_true : c.seen_false) = true;
    }
  }
  for (size_t n = 0; n < rules.nodes().size(); ++n) {
    if (rules.node(static_cast<int>(n)).kind != NodeKind::kIndicator &&
        evaluation.certainty[n] > kFiringThreshold) {
      concluded_[n] = true;
    }
  }
}

int ScenarioCoverage::rules_fired() const {
  return static_cast<int>(std::count(fired_.begin(), fired_.end(), true));
}

double ScenarioCoverage::rule_percent() const {
  return fired_.empty() ? 100.0 : 100.0 * rules_fired() / rule_count();
}

int ScenarioCoverage::conditions_covered() const {
  return static_cast<int>(std::count_if(conditions_.begin(), conditions_.end(),
                                        [](const auto& c) { return c.seen_true && c.seen_false; }));
}

double ScenarioCoverage::condition_percent() const {
  return conditions_.empty() ? 100.0 : 100.0 * conditions_covered() / condition_count();
}

std::vector<std::string> ScenarioCoverage::NeverFired() const {
  std::vector<std::string> ids;
  for (size_t r = 0; r < fired_.size(); ++r) {
    if (!fired_[r]) ids.push_back(rule_base_->rules()[r].id);
  }
  return ids;
}

std::vector<std::string> ScenarioCoverage::NeverConcluded() const {
  std::vector<std::string> ids;
  for (size_t n = 0; n < concluded_.size(); ++n) {
    const NodeInfo& info = rule_base_->node(static_cast<int>(n));
    if (info.kind != NodeKind::kIndicator && !concluded_[n]) ids.push_back(info.id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

absl::StatusOr<ScenarioResult> RunScenario(const Engine& engine, const Scenario& scenario,
                                           ScenarioCoverage* coverage) {
  const RuleBase& rules = engine.rule_base();
  DiagnoseOptions options;
  options.include_explanations = false;
  options.max_questions = std::numeric_limits<int>::max();
  ASSIGN_OR_RETURN(proto::Diagnosis diagnosis, engine.Diagnose(scenario.assessment, options));
  // The engine keeps its evaluation to itself; the same steps give the rule and leaf states
  // that explanations and coverage need.
  const PortfolioAnalysis portfolio = AnalysePortfolio(scenario.assessment);
  Evaluation evaluation(rules);
  LoadFacts(rules, scenario.assessment, portfolio, evaluation);
  EvaluateAll(rules, evaluation);
  if (coverage != nullptr) coverage->Record(evaluation);

  ScenarioResult result;
  result.name = scenario.name;
  result.location = scenario.location;
  const Checker checker(rules, evaluation, diagnosis, portfolio, scenario.assessment);
  for (const Expectation& expectation : scenario.expectations) {
    checker.Check(expectation, result.failures);
  }
  return result;
}

}  // namespace align::inference
