#include "absl/strings/string_view.h"
#include "inference/rulebase/compiler.h"
#include "inference/rulebase/wording.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "inference/eval/certainty.h"
#include "inference/lang/parser.h"
#include "inference/portfolio/portfolio.h"
#include "inference/util/digest.h"
#include "inference/util/format.h"
#include "inference/util/suggest.h"

namespace align::inference {
namespace {

constexpr size_t kMaxChoices = 64;  // choice sets are bit masks

std::string Where(const SourceLocation& at) {
  return absl::StrCat(at.file.str(), ":", at.line, ":", at.column);
}

NodeKind KindFromKeyword(absl::string_view keyword) {
  if (keyword == "finding") return NodeKind::kFinding;
  if (keyword == "pattern") return NodeKind::kPattern;
  if (keyword == "cause") return NodeKind::kCause;
  return NodeKind::kAction;
}

absl::string_view TypeName(ValueType type) {
  switch (type) {
    case ValueType::kNumber: return "number";
    case ValueType::kBool: return "bool";
    case ValueType::kChoice: return "choice";
  }
  return "?";
}

// 'allow: "<check>: <reason>"' silences one lint check for one declaration; the reason is
// required so that every silenced warning says why.
void ReadAllows(const std::vector<ast::Property>& properties, Diagnostics& diagnostics,
                std::vector<std::string>& allowed) {
  for (const ast::Property& p : properties) {
    if (p.name != "allow") continue;
    size_t colon = p.text.find(':');
    std::string check = p.text.substr(0, colon);
    std::string reason = colon == std::string::npos ? "" : p.text.substr(colon + 1);
    check.erase(std::remove(check.begin(), check.end(), ' '), check.end());
    if (check.empty() || reason.find_first_not_of(' ') == std::string::npos) {
      diagnostics.Error(p.location, "allow",
                        absl::StrCat("'allow' needs a check and a reason, as in \"",
                                     check.empty() ? "missing-metadata" : check,
                                     ": the source is the team's own practice\""));
      continue;
    }
    allowed.push_back(check);
  }
}

// Titles of the built-in portfolio figures, for reports and pictures.
std::string BuiltinTitle(const std::string& id) {
  if (id == "portfolio.alignment_index") return "Portfolio alignment index";
  if (id == "portfolio.intent_coverage") return "Coverage of the strategic intent";
  if (id == "portfolio.capability_utilisation") return "Utilisation of portfolio capability";
  std::string region = id.substr(id.rfind('.') + 1);
  std::replace(region.begin(), region.end(), '_', ' ');
  return absl::StrCat("Portfolio share: ", region);
}

}  // namespace

// Friend of RuleBase: fills its private members.
class RuleBaseCompiler {
 public:
  explicit RuleBaseCompiler(Diagnostics& diagnostics) : diagnostics_(diagnostics) {}

  std::shared_ptr<const RuleBase> Compile(const std::vector<SourceFile>& input) {
    std::vector<const SourceFile*> files;
    for (const SourceFile& file : input) files.push_back(&file);
    std::sort(files.begin(), files.end(),
              [](const SourceFile* a, const SourceFile* b) { return a->path < b->path; });
    // Hashed before parsing, in one buffer sized up front, so that the large text is not
    // copied again and again while the parser's many small allocations are going on.
    std::string digest;
    {
      std::string digest_input;
      size_t size = 0;
      for (const SourceFile* file : files) size += file->path.size() + file->text.size() + 24;
      digest_input.reserve(size);
      for (const SourceFile* file : files) {
        absl::StrAppend(&digest_input, file->path.substr(file->path.rfind('/') + 1), "\n",
                        file->text.size(), "\n", file->text);
      }
      digest = Sha256Hex(digest_input);
    }
    for (const SourceFile* file : files) {
      asts_.push_back(ParseRuleFile(file->text, file->path, diagnostics_));
    }
    DeclareNodes();
    rule_base_ = std::unique_ptr<RuleBase>(new RuleBase(static_cast<int>(nodes_.size())));
    RuleBase& base = *rule_base_;
    base.digest_ = std::move(digest);
    ReadHeader(base);
    base.nodes_ = std::move(nodes_);
    base.node_index_.reserve(base.nodes_.size());
    for (size_t i = 0; i < base.nodes_.size(); ++i) base.node_index_[base.nodes_[i].id] = i;
    CompileRules(base);
    CheckGraph(base);
    if (diagnostics_.HasErrors()) return nullptr;
    Finish(base);
    return std::shared_ptr<const RuleBase>(std::move(rule_base_));
  }

 private:
  void ReadHeader(RuleBase& base) {
    const ast::RuleBaseDecl* header = nullptr;
    for (const ast::File& file : asts_) {
      for (const ast::RuleBaseDecl& decl : file.rulebases) {
        if (header != nullptr) {
          diagnostics_.Error(decl.location, "duplicate-id",
                             absl::StrCat("a second rulebase declaration ('", decl.id,
                                          "'); a rule base has exactly one"),
                             absl::StrCat("the first is at ", Where(header->location)));
          continue;
        }
        header = &decl;
      }
    }
    if (header == nullptr) {
      SourceLocation at{asts_.empty() ? "<rules>" : asts_.front().path, 1, 1};
      diagnostics_.Warning(at, "missing-metadata",
                           "no 'rulebase <id> version \"…\"' declaration; the rule base is "
                           "reported as 'unnamed' version '0'");
      base.id_ = "unnamed";
      base.version_ = "0";
      return;
    }
    base.id_ = header->id;
    base.version_ = header->version;
    for (const ast::Property& p : header->properties) {
      if (p.name == "title") base.title_ = p.text;
    }
  }

  void CheckTitle(const std::vector<ast::Property>& properties, const SourceLocation& at,
                  absl::string_view what, absl::string_view id) {
    for (const ast::Property& p : properties) {
      if (p.name == "title") return;
    }
    diagnostics_.Error(at, "missing-metadata",
                       absl::StrCat(what, " '", id, "' has no title"),
                       "add an indented line: title: \"…\"");
  }

  // Gathers every declaration into one table sorted by id, so that indices do not depend on
  // file order. Built-in portfolio indicators come from the engine.
  void DeclareNodes() {
    std::vector<NodeInfo> declared;
    // Where each id was first declared; null for the built-in ones. Keys point into the
    // syntax trees and the engine's static list, both alive for the whole compilation.
    absl::flat_hash_map<absl::string_view, const SourceLocation*> first_seen;
    for (const std::string& id : PortfolioIndicatorIds()) {
      NodeInfo node;
      node.id = id;
      node.kind = NodeKind::kIndicator;
      node.builtin = true;
      node.type = ValueType::kNumber;
      node.min = 0;
      node.max = 100;
      node.unit = "%";
      node.title = BuiltinTitle(id);
      node.description = "Computed by the engine from the assessment's service areas.";
      first_seen.emplace(id, nullptr);
      declared.push_back(std::move(node));
    }
    auto claim = [&](const std::string& id, const SourceLocation& at) {
      auto [first, inserted] = first_seen.emplace(id, &at);
      if (inserted) return true;
      if (first->second == nullptr) {
        diagnostics_.Error(at, "duplicate-id",
                           absl::StrCat("'", id, "' is a built-in portfolio indicator and "
                                        "cannot be declared"));
      } else {
        diagnostics_.Error(at, "duplicate-id", absl::StrCat("'", id, "' is declared twice"),
                           absl::StrCat("first declared at ", Where(*first->second)));
      }
      return false;
    };
    // Claim ids in source order, so that a duplicate is reported at the later declaration.
    // The files are sorted by path, so a file's rank orders locations as its path would.
    struct Claim {
      int file, line, column;
      const ast::IndicatorDecl* indicator;
      const ast::ConclusionDecl* conclusion;
    };
    std::vector<Claim> claims;
    int file_rank = 0;
    for (size_t f = 0; f < asts_.size(); ++f) {
      if (f > 0 && asts_[f].path != asts_[f - 1].path) file_rank = static_cast<int>(f);
      for (const auto& decl : asts_[f].indicators) {
        claims.push_back({file_rank, decl.location.line, decl.location.column, &decl, nullptr});
      }
      for (const auto& decl : asts_[f].conclusions) {
        claims.push_back({file_rank, decl.location.line, decl.location.column, nullptr, &decl});
      }
    }
    std::sort(claims.begin(), claims.end(), [](const Claim& a, const Claim& b) {
      return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
    });
    declared.reserve(declared.size() + claims.size());
    for (const Claim& c : claims) {
      if (c.indicator != nullptr) {
        if (!claim(c.indicator->id, c.indicator->location)) continue;
        declared.push_back(DeclareIndicator(*c.indicator));
        continue;
      }
      {
        const ast::ConclusionDecl& decl = *c.conclusion;
        if (!claim(decl.id, decl.location)) continue;
        NodeInfo node;
        node.id = decl.id;
        node.kind = KindFromKeyword(decl.keyword);
        node.location = decl.location;
        for (const ast::Property& p : decl.properties) {
          if (p.name == "title") node.title = p.text;
          if (p.name == "description") node.description = p.text;
          if (p.name == "category") node.category = p.text;
          if (p.name == "source") node.source = p.text;
        }
        CheckTitle(decl.properties, decl.location, decl.keyword, decl.id);
        ReadAllows(decl.properties, diagnostics_, node.allowed_checks);
        declared.push_back(std::move(node));
      }
    }
    // Ids are distinct here, so sorting by id gives one order whatever the files' order.
    std::vector<std::pair<absl::string_view, NodeInfo*>> by_id;
    by_id.reserve(declared.size());
    for (NodeInfo& node : declared) by_id.emplace_back(node.id, &node);
    std::sort(by_id.begin(), by_id.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    nodes_.reserve(by_id.size());
    for (const auto& [id, node] : by_id) nodes_.push_back(std::move(*node));
  }

  NodeInfo DeclareIndicator(const ast::IndicatorDecl& decl) {
    NodeInfo node;
    node.id = decl.id;
    node.kind = NodeKind::kIndicator;
    node.location = decl.location;
    switch (decl.type) {
      case ast::IndicatorDecl::Type::kNumber: node.type = ValueType::kNumber; break;
      case ast::IndicatorDecl::Type::kBool: node.type = ValueType::kBool; break;
      case ast::IndicatorDecl::Type::kChoice: node.type = ValueType::kChoice; break;
    }
    std::set<std::string> seen;
    for (const ast::Literal& choice : decl.choices) {
      if (!seen.insert(choice.word).second) {
        diagnostics_.Error(choice.location, "duplicate-id",
                           absl::StrCat("choice value '", choice.word, "' is listed twice"));
        continue;
      }
      node.choices.push_back(choice.word);
    }
    if (node.choices.size() > kMaxChoices) {
      diagnostics_.Error(decl.location, "limits",
                         absl::StrCat("'", decl.id, "' has ", node.choices.size(),
                                      " choice values; at most ", kMaxChoices, " are allowed"));
    }
    for (const ast::Property& p : decl.properties) {
      if (p.name == "title") node.title = p.text;
      if (p.name == "description") node.description = p.text;
      if (p.name == "source") node.source = p.text;
      if (p.name == "unit") node.unit = p.text;
      if (p.name == "question") node.question = p.text;
      if (p.name == "range") {
        if (node.type != ValueType::kNumber) {
          diagnostics_.Error(p.location, "type-mismatch",
                             absl::StrCat("'", decl.id, "' is a ", TypeName(node.type),
                                          "; only number indicators have a range"));
        } else if (!(*p.low < *p.high)) {
          diagnostics_.Error(p.location, "range",
                             absl::StrCat("range ", FormatNumber(*p.low), " .. ",
                                          FormatNumber(*p.high),
                                          " is empty; write the low end first"));
        } else {
          node.min = p.low;
          node.max = p.high;
        }
      }
    }
    CheckTitle(decl.properties, decl.location, "indicator", decl.id);
    ReadAllows(decl.properties, diagnostics_, node.allowed_checks);
    return node;
  }

  std::vector<absl::string_view> IdsWhere(bool (*keep)(const NodeInfo&)) const {
    std::vector<absl::string_view> ids;
    for (const NodeInfo& node : rule_base_->nodes_) {
      if (keep(node)) ids.push_back(node.id);
    }
    return ids;
  }

  void CompileRules(RuleBase& base) {
    std::vector<std::pair<absl::string_view, const ast::RuleDecl*>> decls;  // by id
    absl::flat_hash_map<absl::string_view, const SourceLocation*> first_seen;
    for (const ast::File& file : asts_) {
      for (const ast::RuleDecl& rule : file.rules) {
        named_conclusions_.insert(rule.conclusion);
        auto [it, inserted] = first_seen.emplace(rule.id, &rule.location);
        if (!inserted) {
          diagnostics_.Error(rule.location, "duplicate-id",
                             absl::StrCat("rule '", rule.id, "' is declared twice"),
                             absl::StrCat("first declared at ", Where(*it->second)));
          continue;
        }
        decls.emplace_back(rule.id, &rule);
      }
    }
    std::sort(decls.begin(), decls.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    base.rules_.reserve(decls.size());
    for (const auto& [id, decl] : decls) CompileRule(base, *decl);
    base.rule_index_.reserve(base.rules_.size());
    for (size_t r = 0; r < base.rules_.size(); ++r) base.rule_index_[base.rules_[r].id] = r;
  }

  void CompileRule(RuleBase& base, const ast::RuleDecl& decl) {
    Rule rule;
    rule.id = decl.id;
    rule.location = decl.location;
    rule.cf = decl.cf;
    rule.cf_text = FormatNumber(decl.cf);
    rule.because = decl.because;
    rule.condition = decl.condition->text;
    for (const ast::Property& p : decl.properties) {
      if (p.name == "source") rule.source = p.text;
    }
    ReadAllows(decl.properties, diagnostics_, rule.allowed_checks);
    bool ok = true;
    if (!(decl.cf >= -1 && decl.cf <= 1)) {
      diagnostics_.Error(decl.cf_location, "range",
                         absl::StrCat("certainty factor ", FormatNumber(decl.cf),
                                      " is outside [-1, 1]"));
      ok = false;
    }
    if (auto target = base.FindNode(decl.conclusion); !target) {
      diagnostics_.Error(
          decl.conclusion_location, "unknown-identifier",
          absl::StrCat("unknown conclusion '", decl.conclusion, "'",
                       DidYouMean(ClosestNames(decl.conclusion, IdsWhere([](const NodeInfo& n) {
                                                 return n.kind != NodeKind::kIndicator;
                                               })))));
      ok = false;
    } else if (base.nodes_[*target].kind == NodeKind::kIndicator) {
      diagnostics_.Error(decl.conclusion_location, "type-mismatch",
                         absl::StrCat("'", decl.conclusion,
                                      "' is an indicator; a rule concludes a finding, "
                                      "pattern, cause or action"));
      ok = false;
    } else {
      rule.conclusion = *target;
    }
    const size_t leaves = LeafCount(*decl.condition);
    rule.leaves.reserve(leaves);
    rule.reads.reserve(leaves);
    rule.first_op = static_cast<uint32_t>(base.ops_.size());
    if (!CompileExpr(base, *decl.condition, rule)) ok = false;
    rule.op_count = static_cast<uint32_t>(base.ops_.size()) - rule.first_op;
    if (!ok) {
      base.ops_.resize(rule.first_op);
      return;
    }
    std::sort(rule.reads.begin(), rule.reads.end());
    rule.reads.erase(std::unique(rule.reads.begin(), rule.reads.end()), rule.reads.end());
    int index = static_cast<int>(base.rules_.size());
    for (int read : rule.reads) base.graph_.AddEdge(read, rule.conclusion);
    base.nodes_[rule.conclusion].rules.push_back(index);
    base.rules_.push_back(std::move(rule));
  }

  static size_t LeafCount(const ast::Expr& expr) {
    if (expr.children.empty()) return 1;
    size_t count = 0;
    for (const auto& child : expr.children) count += LeafCount(*child);
    return count;
  }

  // Appends the postfix plan of `expr`; false after reporting errors.
  bool CompileExpr(RuleBase& base, const ast::Expr& expr, Rule& rule) {
    size_t start = base.ops_.size();
    Op op;
    switch (expr.kind) {
      case ast::Expr::Kind::kNot:
      case ast::Expr::Kind::kAnd:
      case ast::Expr::Kind::kOr: {
        bool ok = true;
        for (const auto& child : expr.children) ok = CompileExpr(base, *child, rule) && ok;
        if (!ok) return false;
        op.code = expr.kind == ast::Expr::Kind::kNot   ? OpCode::kNot
                  : expr.kind == ast::Expr::Kind::kAnd ? OpCode::kAnd
                                                       : OpCode::kOr;
        op.arity = static_cast<int>(expr.children.size());
        break;
      }
      default:
        if (!CompileLeaf(base, expr, rule, op)) return false;
        break;
    }
    op.subtree = static_cast<int>(base.ops_.size() - start) + 1;
    base.ops_.push_back(op);
    return true;
  }

  bool CompileLeaf(RuleBase& base, const ast::Expr& expr, Rule& rule, Op& op) {
    auto found = base.FindNode(expr.subject);
    if (!found) {
      diagnostics_.Error(expr.subject_location, "unknown-identifier",
                         absl::StrCat("unknown identifier '", expr.subject, "'",
                                      DidYouMean(ClosestNames(expr.subject, IdsWhere([](
                                                     const NodeInfo&) { return true; })))));
      return false;
    }
    const NodeInfo& node = base.nodes_[*found];
    const bool indicator = node.kind == NodeKind::kIndicator;
    op.node = *found;
    Leaf leaf;
    leaf.text = expr.text;
    leaf.node = *found;
    auto mismatch = [&](const SourceLocation& at, std::string message) {
      diagnostics_.Error(at, "type-mismatch", std::move(message));
      return false;
    };
    auto describe = [&]() {
      return indicator ? absl::StrCat("'", node.id, "' is a ", TypeName(node.type), " indicator")
                       : absl::StrCat("'", node.id, "' is a ", KindName(node.kind),
                                      " (its value is a certainty in [-1, 1])");
    };
    // Numbers a condition compares with must lie inside the declared range, or the condition
    // is decided before any assessment is read.
    auto in_range = [&](const ast::Literal& literal) {
      double low = indicator ? node.min.value_or(-1e300) : -1;
      double high = indicator ? node.max.value_or(1e300) : 1;
      if (literal.number >= low && literal.number <= high) return true;
      diagnostics_.Error(literal.location, "range",
                         absl::StrCat("threshold ", literal.text, " is outside the range ",
                                      FormatNumber(low), " .. ", FormatNumber(high), " of '",
                                      node.id, "'"));
      return false;
    };
    switch (expr.kind) {
      case ast::Expr::Kind::kCompare: {
        const ast::Literal& literal = expr.literal;
        leaf.expected = absl::StrCat(ast::Spelling(expr.op), " ", literal.text);
        op.compare = expr.op;
        const bool equality =
            expr.op == ast::CompareOp::kEqual || expr.op == ast::CompareOp::kNotEqual;
        if (!indicator || node.type == ValueType::kNumber) {
          if (literal.kind != ast::Literal::Kind::kNumber) {
            return mismatch(literal.location,
                            absl::StrCat(describe(), "; compare it with a number, not '",
                                         literal.text, "'"));
          }
          if (!in_range(literal)) return false;
          op.code = indicator ? OpCode::kCompare : OpCode::kCompareCertainty;
          op.a = literal.number;
        } else if (node.type == ValueType::kBool) {
          if (literal.kind != ast::Literal::Kind::kBool) {
            return mismatch(literal.location,
                            absl::StrCat(describe(), "; compare it with true or false, not '",
                                         literal.text, "'"));
          }
          if (!equality) {
            return mismatch(expr.subject_location,
                            absl::StrCat(describe(), "; use '=' or '!=', not '",
                                         ast::Spelling(expr.op), "'"));
          }
          op.code = OpCode::kIsFlag;
          op.flag = literal.flag == (expr.op == ast::CompareOp::kEqual);
        } else {
          if (!equality) {
            return mismatch(expr.subject_location,
                            absl::StrCat(describe(), "; use '=', '!=' or 'in {…}', not '",
                                         ast::Spelling(expr.op), "'"));
          }
          if (literal.kind != ast::Literal::Kind::kWord) {
            return mismatch(literal.location,
                            absl::StrCat(describe(), "; compare it with one of its values (",
                                         absl::StrJoin(node.choices, ", "), "), not '",
                                         literal.text, "'"));
          }
          auto mask = ChoiceMask(node, {literal});
          if (!mask) return false;
          op.code = OpCode::kInChoices;
          op.choice_mask = expr.op == ast::CompareOp::kEqual ? *mask : ~*mask & AllChoices(node);
        }
        break;
      }
      case ast::Expr::Kind::kBetween: {
        leaf.expected = absl::StrCat("between ", expr.low.text, " and ", expr.high.text);
        if (indicator && node.type != ValueType::kNumber) {
          return mismatch(expr.subject_location,
                          absl::StrCat(describe(), "; 'between' needs a number"));
        }
        if (!in_range(expr.low) || !in_range(expr.high)) return false;
        if (expr.low.number > expr.high.number) {
          diagnostics_.Error(expr.low.location, "never-true",
                             absl::StrCat("'between ", expr.low.text, " and ", expr.high.text,
                                          "' can never be true; write the low end first"));
          return false;
        }
        op.code = indicator ? OpCode::kBetween : OpCode::kCompareCertainty;
        if (!indicator) {
          // Conclusions: between on a certainty is two comparisons; keep it simple and refuse.
          return mismatch(expr.subject_location,
                          absl::StrCat(describe(), "; compare its certainty with '>' or '<'"));
        }
        op.a = expr.low.number;
        op.b = expr.high.number;
        break;
      }
      case ast::Expr::Kind::kIn: {
        std::vector<std::string> words;
        for (const auto& w : expr.words) words.push_back(w.word);
        leaf.expected = absl::StrCat("in {", absl::StrJoin(words, ", "), "}");
        if (!indicator || node.type != ValueType::kChoice) {
          return mismatch(expr.subject_location,
                          absl::StrCat(describe(), "; 'in {…}' needs a choice indicator"));
        }
        auto mask = ChoiceMask(node, expr.words);
        if (!mask) return false;
        op.code = OpCode::kInChoices;
        op.choice_mask = *mask;
        break;
      }
      case ast::Expr::Kind::kRef:
        if (indicator) {
          if (node.type != ValueType::kBool) {
            return mismatch(expr.subject_location,
                            absl::StrCat(describe(), "; a bare name is a test only for bool "
                                                     "indicators and conclusions — compare it"));
          }
          op.code = OpCode::kIsFlag;
          op.flag = true;
          leaf.expected = "= true";
        } else {
          op.code = OpCode::kCertainty;
          leaf.expected = absl::StrCat("concluded (certainty > ", FormatNumber(kFiringThreshold),
                                       ")");
        }
        break;
      case ast::Expr::Kind::kKnown:
        if (!indicator) {
          return mismatch(expr.subject_location,
                          absl::StrCat(describe(), "; known(…) takes an indicator"));
        }
        op.code = OpCode::kKnown;
        leaf.expected = "known";
        break;
      case ast::Expr::Kind::kRamp:
        leaf.expected = absl::StrCat("ramp from ", expr.low.text, " to ", expr.high.text);
        if (!indicator || node.type != ValueType::kNumber) {
          return mismatch(expr.subject_location,
                          absl::StrCat(describe(), "; ramp(…) needs a number indicator"));
        }
        if (!in_range(expr.low) || !in_range(expr.high)) return false;
        if (expr.low.number == expr.high.number) {
          diagnostics_.Error(expr.high.location, "range",
                             "a ramp needs two different values; for a sharp threshold use a "
                             "comparison");
          return false;
        }
        op.code = OpCode::kRamp;
        op.a = expr.low.number;
        op.b = expr.high.number;
        break;
      default:
        return false;
    }
    op.leaf = static_cast<int>(rule.leaves.size());
    leaf.wording = LeafWording(node, op);
    rule.leaves.push_back(std::move(leaf));
    rule.reads.push_back(*found);
    return true;
  }

  static uint64_t AllChoices(const NodeInfo& node) {
    return node.choices.size() >= 64 ? ~uint64_t{0} : (uint64_t{1} << node.choices.size()) - 1;
  }

  std::optional<uint64_t> ChoiceMask(const NodeInfo& node,
                                     const std::vector<ast::Literal>& words) {
    uint64_t mask = 0;
    bool ok = true;
    for (const ast::Literal& word : words) {
      auto it = std::find(node.choices.begin(), node.choices.end(), word.word);
      if (it == node.choices.end()) {
        std::vector<absl::string_view> values(node.choices.begin(), node.choices.end());
        diagnostics_.Error(word.location, "type-mismatch",
                           absl::StrCat("'", node.id, "' has no value '", word.word, "'",
                                        DidYouMean(ClosestNames(word.word, values))),
                           absl::StrCat("its values are ", absl::StrJoin(node.choices, ", ")));
        ok = false;
        continue;
      }
      mask |= uint64_t{1} << (it - node.choices.begin());
    }
    if (!ok) return std::nullopt;
    return mask;
  }

  void CheckGraph(RuleBase& base) {
    for (const std::vector<int>& cycle : base.graph_.Cycles()) {
      // Report at the first rule (in source order) whose conclusion and reads are both in it.
      std::set<int> members(cycle.begin(), cycle.end());
      const Rule* at = nullptr;
      std::vector<std::string> rule_ids;
      for (const Rule& rule : base.rules_) {
        if (members.count(rule.conclusion) == 0) continue;
        bool reads_member = std::any_of(rule.reads.begin(), rule.reads.end(),
                                        [&](int r) { return members.count(r) != 0; });
        if (!reads_member) continue;
        rule_ids.push_back(rule.id);
        if (at == nullptr ||
            std::tie(rule.location.file, rule.location.line, rule.location.column) <
                std::tie(at->location.file, at->location.line, at->location.column)) {
          at = &rule;
        }
      }
      std::vector<std::string> names;
      for (int member : cycle) names.push_back(base.nodes_[member].id);
      diagnostics_.Error(at->location, "cycle",
                         absl::StrCat("dependency cycle through ", absl::StrJoin(names, ", "),
                                      " (rules ", absl::StrJoin(rule_ids, ", "), ")"),
                         "a conclusion may not depend on itself; break one of these rules");
    }
    for (const NodeInfo& node : base.nodes_) {
      if (node.kind == NodeKind::kIndicator || !node.rules.empty()) continue;
      // A rule that names it but has errors of its own is reported already.
      if (node.location.file.empty() || named_conclusions_.count(node.id) != 0) continue;
      diagnostics_.Warning(node.location, "unreachable",
                           absl::StrCat(KindName(node.kind), " '", node.id,
                                        "' is never concluded: no rule has it after 'then'"));
    }
  }

  void Finish(RuleBase& base) {
    std::vector<int> order = *base.graph_.TopologicalOrder();  // acyclic: checked above
    base.evaluation_rank_.assign(base.nodes_.size(), -1);
    for (int node : order) {
      if (base.nodes_[node].kind == NodeKind::kIndicator) continue;
      base.evaluation_rank_[node] = static_cast<int>(base.evaluation_order_.size());
      base.evaluation_order_.push_back(node);
    }
    for (const std::string& id : PortfolioIndicatorIds()) {
      base.portfolio_nodes_.push_back(*base.FindNode(id));
    }
    PlanQuestions(base);
    base.IndexForEvaluation();
    for (const NodeInfo& node : base.nodes_) {
      if (node.kind != NodeKind::kIndicator || node.builtin) continue;
      IndicatorSchema schema;
      schema.type = node.type == ValueType::kNumber ? IndicatorSchema::Type::kNumber
                    : node.type == ValueType::kBool ? IndicatorSchema::Type::kBool
                                                    : IndicatorSchema::Type::kChoice;
      schema.min = node.min;
      schema.max = node.max;
      schema.choices = node.choices;
      schema.unit = node.unit;
      schema.node = static_cast<int>(&node - base.nodes_.data());
      base.schema_.emplace(node.id, std::move(schema));
    }
    base.observation_index_ = ObservationIndex(base.schema_);
  }

  // RuleBase::TrialNumbers of one number indicator.
  static std::vector<double> TrialNumbers(const NodeInfo& info,
                                          const std::vector<double>& thresholds) {
    std::vector<double> candidates;
    for (size_t i = 0; i < thresholds.size(); ++i) {
      candidates.push_back(thresholds[i]);
      if (i + 1 < thresholds.size()) candidates.push_back((thresholds[i] + thresholds[i + 1]) / 2);
    }
    if (!thresholds.empty()) {
      double step = std::max(std::fabs(thresholds.front()) * 1e-3, 1e-3);
      candidates.push_back(thresholds.front() - step);
      step = std::max(std::fabs(thresholds.back()) * 1e-3, 1e-3);
      candidates.push_back(thresholds.back() + step);
    }
    for (double& v : candidates) {
      if (info.min) v = std::max(v, *info.min);
      if (info.max) v = std::min(v, *info.max);
    }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    // Rules that only ask whether it is known still need one value to try.
    if (candidates.empty()) candidates.push_back(info.min.value_or(0));
    return candidates;
  }

  // Precomputes, per indicator, the causes it can change, per conclusion whether it leads to a
  // cause and the indicators behind it (see RuleBase::CausesOf, LeadsToCause,
  // IndicatorsBehind).
  static void PlanQuestions(RuleBase& base) {
    const size_t n = base.nodes_.size();
    base.causes_of_.assign(n, {});
    base.indicators_behind_.assign(n, {});
    base.thresholds_.assign(n, {});
    {
      // Counted first, so that each list is allocated once.
      std::vector<int> count(n, 0);
      for (const Op& op : base.ops_) {
        if (op.code == OpCode::kCompare) count[op.node] += 1;
        if (op.code == OpCode::kBetween || op.code == OpCode::kRamp) count[op.node] += 2;
      }
      for (size_t v = 0; v < n; ++v) base.thresholds_[v].reserve(count[v]);
    }
    for (const Op& op : base.ops_) {
      if (op.code == OpCode::kCompare) base.thresholds_[op.node].push_back(op.a);
      if (op.code == OpCode::kBetween || op.code == OpCode::kRamp) {
        base.thresholds_[op.node].push_back(op.a);
        base.thresholds_[op.node].push_back(op.b);
      }
    }
    for (std::vector<double>& values : base.thresholds_) {
      std::sort(values.begin(), values.end());
      values.erase(std::unique(values.begin(), values.end()), values.end());
    }
    base.read_through_known_.assign(n, 0);
    for (const Op& op : base.ops_) {
      if (op.code == OpCode::kKnown) base.read_through_known_[op.node] = 1;
    }
    base.trial_numbers_.assign(n, {});
    for (size_t v = 0; v < n; ++v) {
      const NodeInfo& info = base.nodes_[v];
      if (info.kind == NodeKind::kIndicator && info.type == ValueType::kNumber) {
        base.trial_numbers_[v] = TrialNumbers(info, base.thresholds_[v]);
      }
    }
    // Which nodes can reach a cause (causes included).
    std::vector<char>& leads_to_cause = base.leads_to_cause_;
    leads_to_cause.assign(n, 0);
    for (int node : base.evaluation_order_) {
      if (base.nodes_[node].kind == NodeKind::kCause) leads_to_cause[node] = 1;
    }
    // A node's readers are its successors in the graph: the edges, sorted, list them in order.
    const std::vector<std::pair<int, int>> edges = base.graph_.edges();
    std::vector<std::vector<int>> reader_conclusions(n);
    for (size_t e = 0; e < edges.size();) {
      // Each node's edges are one run of the sorted list.
      const int from = edges[e].first;
      size_t end = e;
      while (end < edges.size() && edges[end].first == from) ++end;
      std::vector<int>& readers = reader_conclusions[from];
      readers.reserve(end - e);
      for (; e < end; ++e) readers.push_back(edges[e].second);
    }
    // A node leads to a cause if one of its successors does; walk conclusions backwards.
    for (auto it = base.evaluation_order_.rbegin(); it != base.evaluation_order_.rend(); ++it) {
      for (int next : reader_conclusions[*it]) leads_to_cause[*it] |= leads_to_cause[next];
    }
    // Each node's inputs, flat: node v's are inputs[input_start[v] .. input_start[v + 1]).
    std::vector<int> input_start(n + 1, 0);
    for (const auto& edge : edges) ++input_start[edge.second + 1];
    for (size_t v = 0; v < n; ++v) input_start[v + 1] += input_start[v];
    std::vector<int> inputs(edges.size());
    {
      std::vector<int> filled(input_start.begin(), input_start.end() - 1);
      for (const auto& [from, to] : edges) inputs[filled[to]++] = from;
    }
    // The indicators behind a conclusion are those behind its inputs, plus the inputs that
    // are indicators. In evaluation order every input's set is complete before it is needed,
    // so one pass replaces a graph search per conclusion.
    std::vector<int> added_for(n, -1);  // the conclusion an indicator was last added for
    std::vector<int> behind;
    for (int node : base.evaluation_order_) {
      behind.clear();
      auto add = [&](int indicator) {
        if (added_for[indicator] == node) return;
        added_for[indicator] = node;
        behind.push_back(indicator);
      };
      for (int e = input_start[node]; e < input_start[node + 1]; ++e) {
        const int input = inputs[e];
        if (base.nodes_[input].kind == NodeKind::kIndicator) {
          add(input);
        } else {
          for (int indicator : base.indicators_behind_[input]) add(indicator);
        }
      }
      std::sort(behind.begin(), behind.end());
      base.indicators_behind_[node].assign(behind.begin(), behind.end());
    }
    // An indicator can change exactly the causes it is behind.
    for (int node : base.evaluation_order_) {
      if (base.nodes_[node].kind != NodeKind::kCause) continue;
      for (int indicator : base.indicators_behind_[node]) {
        base.causes_of_[indicator].push_back(node);
      }
    }
    base.askable_.assign(n, 0);
    for (size_t node = 0; node < n; ++node) {
      const NodeInfo& info = base.nodes_[node];
      if (info.kind != NodeKind::kIndicator) continue;
      std::vector<int>& causes = base.causes_of_[node];
      std::sort(causes.begin(), causes.end());
      if (!info.builtin && !causes.empty()) {
        base.askable_indicators_.push_back(static_cast<int>(node));
        base.askable_[node] = 1;
      }
    }
  }

  Diagnostics& diagnostics_;
  std::vector<ast::File> asts_;
  std::vector<NodeInfo> nodes_;
  // Every id after 'then', broken rules included; the views point into asts_.
  absl::flat_hash_set<absl::string_view> named_conclusions_;
  std::unique_ptr<RuleBase> rule_base_;
};

CompileResult CompileRuleBase(const std::vector<SourceFile>& files) {
  CompileResult result;
  result.rule_base = RuleBaseCompiler(result.diagnostics).Compile(files);
  return result;
}

}  // namespace align::inference
