// The electronic batch record of one work order, as a printable HTML document.
//
// Everything in it comes from the ledger through the host's read views: the order and its
// history ("wo"), its material, the lots it consumed and produced (with their own
// inspections and QA disposition), the process readings taken on its equipment while it ran,
// its inspections and exceptions, and the ledger head the record reflects. Sections:
//
//   header            order, material, quantity, routing, status, dates, plan
//   steps             work center, equipment, operators, start/end, good/scrap, plan
//   materials         lots consumed and produced, with quantities
//   readings          process readings on the order's equipment while it ran
//   inspections       of the order's steps and of the lots it produced
//   exceptions        raised against the order, with status, root cause and action
//   corrections       every correction: the record, each field old -> new, reason, who, when
//   signatures        every record of the order: who, when, what it meant, its hash
//
// A value that was corrected after it was entered is shown as corrected, with the original
// struck through and a "changed after original entry" flag, wherever it appears.
#pragma once

#include <cstdint>
#include <string>

#include "report_support.h"

namespace custody::reports {

// Throws ReportError ("not_found", field "wo") when the order does not exist.
[[nodiscard]] std::string batch_record_html(const std::string& wo, const Fetch& fetch,
                                            const std::string& generated_at);

}  // namespace custody::reports
