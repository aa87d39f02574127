// The wire data model, under a short name: `proto::Assessment`, `proto::Diagnosis`.
#ifndef ALIGN_INFERENCE_UTIL_PROTO_ALIAS_H_
#define ALIGN_INFERENCE_UTIL_PROTO_ALIAS_H_

#include "alignment/v1/assessment.pb.h"
#include "alignment/v1/diagnosis.pb.h"

namespace align {
namespace proto = ::alignment::v1;
}  // namespace align

#endif  // ALIGN_INFERENCE_UTIL_PROTO_ALIAS_H_
