// GS1 keys in the two URI forms EPCIS 2.0 events carry them, and the one form the CBV 2.0
// event hash compares them in: the canonical GS1 Digital Link URI on id.gs1.org.
//
//   EPC URI (TDS 2.x)                                   canonical GS1 Digital Link URI
//   urn:epc:id:sgtin:CP.IItemRef.Serial                 https://id.gs1.org/01/GTIN14/21/Serial
//   urn:epc:id:sscc:CP.ESerialRef                       https://id.gs1.org/00/SSCC18
//   urn:epc:id:sgln:CP.LocRef.Ext                       https://id.gs1.org/414/GLN[/254/Ext]
//   urn:epc:id:grai:CP.AssetType.Serial                 https://id.gs1.org/8003/0GRAI13Serial
//   urn:epc:id:giai:CP.AssetRef                         https://id.gs1.org/8004/CPAssetRef
//   urn:epc:id:gsrn:CP.ServiceRef   (gsrnp: 8017)       https://id.gs1.org/8018/GSRN18
//   urn:epc:id:gdti:CP.DocType.Serial                   https://id.gs1.org/253/GDTI13Serial
//   urn:epc:id:cpi:CP.CPRef.Serial                      https://id.gs1.org/8010/CPCPRef/8011/Serial
//   urn:epc:id:sgcn:CP.CouponRef.Serial                 https://id.gs1.org/255/GCN13Serial
//   urn:epc:id:ginc:CP.ConsignmentRef                   https://id.gs1.org/401/CPConsignmentRef
//   urn:epc:id:gsin:CP.ShipperRef                       https://id.gs1.org/402/GSIN17
//   urn:epc:id:itip:CP.IItemRef.Piece.Total.Serial      https://id.gs1.org/8006/ITIP18/21/Serial
//   urn:epc:id:upui:CP.IItemRef.TPX                     https://id.gs1.org/01/GTIN14/235/TPX
//   urn:epc:id:pgln:CP.PartyRef                         https://id.gs1.org/417/GLN
//   urn:epc:class:lgtin:CP.IItemRef.Lot                 https://id.gs1.org/01/GTIN14/10/Lot
//   urn:epc:idpat:sgtin|upui:CP.IItemRef.*              https://id.gs1.org/01/GTIN14
//   urn:epc:idpat:grai|gdti|sgcn|cpi|itip:...*          the key without its serial part
//
// CP is the GS1 Company Prefix (6 to 12 digits); "I" is the indicator or extension digit that
// moves to the front of the key; check digits are computed (GS1 General Specifications 7.9.1).
// Serials stay as the URN escaped them ("%2F"), and the characters ! ( ) * + , : are
// percent-encoded as GS1 Digital Link 1.2 table 7-1 requires.
//
// A Digital Link URI on any host ("https://example.com/gtin/9780345418913/21/7?x=1") is
// canonicalised to the constrained form the event hash uses: host id.gs1.org, AIs instead of
// short names, GTINs padded to 14 digits, no query string or fragment, and only the finest
// level of identification (serial over lot, no CPV): 00, 01, 01/21, 01/10, 01/235, 253, 255,
// 401, 402, 414, 414/254, 417, 8003, 8004, 8006, 8006/21, 8006/10, 8010, 8010/8011, 8017, 8018.
//
// All functions are pure and thread-safe. Errors are kInvalidArgument with `field` as given.
#pragma once

#include <string>
#include <string_view>

#include "custody/common/error.h"

namespace custody::epcis {

// The GS1 mod-10 check digit ('0'..'9') of `digits`, the key without its check digit.
// Precondition: `digits` holds only ASCII digits.
[[nodiscard]] char gs1_check_digit(std::string_view digits);

// True for "urn:epc:id:", "urn:epc:class:" and "urn:epc:idpat:" URIs of the schemes above.
[[nodiscard]] bool is_gs1_epc_uri(std::string_view value);

// The canonical Digital Link URI of a GS1 EPC URI, EPC class URI or EPC pattern URI.
// kInvalidArgument for one that is malformed (wrong lengths, bad characters) or that has no
// Digital Link form (a pattern other than "everything under one key": "sgtin:CP.*.*").
[[nodiscard]] Result<std::string> epc_uri_to_digital_link(std::string_view uri,
                                                          std::string_view field = {});

// The constrained canonical form of a GS1 Digital Link URI (see above). kInvalidArgument for
// a URI that is not one: no primary key in its path, or a key value of the wrong shape.
[[nodiscard]] Result<std::string> canonical_digital_link(std::string_view uri,
                                                         std::string_view field = {});

// What the event hash compares an identifier as: the canonical Digital Link URI for a GS1 EPC
// URI or a GS1 Digital Link URI, and `value` unchanged for anything else (other URNs, web
// URIs that are not Digital Links, "geo:" URIs). kInvalidArgument only for a GS1 EPC URI that
// is malformed: it names a GS1 key and gets it wrong.
[[nodiscard]] Result<std::string> canonical_identifier(std::string_view value,
                                                       std::string_view field = {});

}  // namespace custody::epcis
