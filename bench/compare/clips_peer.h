// CLIPS 6.30 running a generated workload: the peer our engine is measured against.
//
//   ASSIGN_OR_RETURN(auto peer, ClipsPeer::Create(ClipsConstructs(workload, layout), layout,
//                                                 workload.indicators));
//   std::vector<std::string> findings;
//   ASSIGN_OR_RETURN(int64_t fired, peer->Run(workload.cases[0], &findings));
//
// One environment per peer; a peer is not thread-safe.
#ifndef ALIGN_BENCH_COMPARE_CLIPS_PEER_H_
#define ALIGN_BENCH_COMPARE_CLIPS_PEER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "bench/compare/workload.h"

namespace align::bench {

// How observations enter working memory.
enum class ClipsAssert {
  kString,   // EnvAssertString("(obs (name i12) (value 57))"): CLIPS parses each fact
  kFactApi,  // EnvCreateFact + EnvPutFactSlot + EnvAssert with the symbols looked up once
};
absl::string_view ClipsAssertName(ClipsAssert how);

class ClipsPeer {
 public:
  // A new environment with every construct built in order. InvalidArgument quoting CLIPS's
  // own error output and the construct that failed; Internal when no environment can be made.
  static absl::StatusOr<std::unique_ptr<ClipsPeer>> Create(absl::Span<const std::string> constructs,
                                                           ClipsLayout layout, int indicators,
                                                           ClipsAssert how = ClipsAssert::kFactApi);

  ClipsPeer(const ClipsPeer&) = delete;
  ClipsPeer& operator=(const ClipsPeer&) = delete;
  ~ClipsPeer();

  // One consultation from scratch: reset, assert the case's observations, run to quiescence,
  // then replace *findings with the ids of the findings in working memory (unordered).
  // Returns the number of rules fired. Internal when CLIPS refuses an assertion.
  absl::StatusOr<int64_t> Run(const Case& c, std::vector<std::string>* findings);

 private:
  ClipsPeer(ClipsLayout layout, ClipsAssert how);
  absl::Status CacheLookups(int indicators);
  bool Assert(const Observed& observed);
  // A CLIPS router that keeps error and warning output in errors_.
  static int IsErrorOutput(void* env, const char* logical_name);
  static int KeepError(void* env, const char* logical_name, const char* text);

  void* env_ = nullptr;
  ClipsLayout layout_;
  ClipsAssert how_;
  std::string errors_;  // what CLIPS printed to werror and wwarning
  // Looked up once, kept alive across resets.
  void* obs_template_ = nullptr;            // kSlotPerObservation: obs
  void* finding_template_ = nullptr;        // kSlotPerObservation: finding
  std::vector<void*> indicator_names_;      // kSlotPerObservation: symbol per indicator
  std::vector<void*> indicator_templates_;  // kTemplatePerIndicator: deftemplate per indicator
  std::vector<void*> values_;               // integer per value 0 .. 100
};

}  // namespace align::bench

#endif  // ALIGN_BENCH_COMPARE_CLIPS_PEER_H_
