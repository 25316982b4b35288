/*
 * custody's event and command types, and the Cap'n Proto struct each one's payload
 * (events) or data (commands) is: the structs are in commands.capnp, installed with
 * the SDK in share/custody/schema (namespace custody::schema in C++).
 *
 * Generated from custody's declarations by `custody types --format header`; a test
 * keeps this file equal to them. Do not edit it by hand.
 *
 * A type is never removed or given another struct within an ABI major version; new
 * types are added at the end of their table.
 */
#ifndef CUSTODY_TYPES_H_
#define CUSTODY_TYPES_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct custody_type_info {
  const char* type;         /* "lot.received" */
  const char* capnp_struct; /* "LotReceived" */
  uint64_t schema_id;       /* its Cap'n Proto id: capnp::typeId<T>() in C++ */
} custody_type_info;

#define CUSTODY_EVENT_TYPE_COUNT 75
#define CUSTODY_COMMAND_TYPE_COUNT 73

/* Event types: what a custody_record's payload holds. */
static const custody_type_info custody_event_types[] = {
    {"note.added", "NoteAdd", UINT64_C(0xbdd48dd0c40260cc)},
    {"material.defined", "MaterialDefine", UINT64_C(0xab74cbf1293a4cae)},
    {"party.defined", "PartyDefine", UINT64_C(0xf9fe1edd162ccc79)},
    {"equipment.defined", "EquipmentDefine", UINT64_C(0xce68951415253587)},
    {"routing.defined", "RoutingDefine", UINT64_C(0xa359bad3d6767995)},
    {"lot.received", "LotReceived", UINT64_C(0xbe7b9be61550d90c)},
    {"lot.split", "LotSplit", UINT64_C(0xc0174b1020ca3635)},
    {"lot.merged", "LotMerged", UINT64_C(0xea8b94248e5eee58)},
    {"lot.transformed", "LotTransformed", UINT64_C(0x807d5ac7c7fe5eaa)},
    {"lot.moved", "LotMove", UINT64_C(0x8907f64d58546aa6)},
    {"lot.held", "LotReason", UINT64_C(0xfd87fdabf08c7a70)},
    {"lot.released", "LotRef", UINT64_C(0xc5ebac87c995595b)},
    {"lot.rejected", "LotReason", UINT64_C(0xfd87fdabf08c7a70)},
    {"lot.shipped", "LotShip", UINT64_C(0x8483c42cb6283ca6)},
    {"wo.created", "WoCreate", UINT64_C(0xe8d323c013545c25)},
    {"wo.released", "WoRef", UINT64_C(0xf245a0510095616f)},
    {"op.started", "OpStart", UINT64_C(0xc5c43a43c5dca6d1)},
    {"lot.consumed", "LotConsumed", UINT64_C(0xc47c350a38219bdb)},
    {"lot.produced", "LotProduced", UINT64_C(0xd6771fa0f0f64ddc)},
    {"op.reported", "OpReport", UINT64_C(0xb655baa82f8a7912)},
    {"op.reworked", "OpRework", UINT64_C(0xd9af0d131f368819)},
    {"op.completed", "OpRef", UINT64_C(0xde90f7b613623ee7)},
    {"op.verified", "OpVerify", UINT64_C(0xbddccfec86782fdd)},
    {"wo.completed", "WoCompleted", UINT64_C(0x9adae46a46e212f8)},
    {"wo.closed", "WoRef", UINT64_C(0xf245a0510095616f)},
    {"wo.scheduled", "WoSchedule", UINT64_C(0xbe39035d769b99c2)},
    {"inspection.recorded", "InspectionRecorded", UINT64_C(0xb02ebc67c9b75bdc)},
    {"reading.recorded", "ReadingRecorded", UINT64_C(0xc3bfd32fae7c9e96)},
    {"exception.raised", "ExceptionRaised", UINT64_C(0x8f548a965c9b213e)},
    {"exception.assigned", "ExceptionAssign", UINT64_C(0xa63741e64f77f2fa)},
    {"exception.acknowledged", "ExceptionRef", UINT64_C(0xc0d70242a8ef5802)},
    {"exception.resolved", "ExceptionResolve", UINT64_C(0xbad4a502c60bfe1c)},
    {"exception.closed", "ExceptionRef", UINT64_C(0xc0d70242a8ef5802)},
    {"exception.escalated", "ExceptionEscalate", UINT64_C(0xd566fb818913aabf)},
    {"exception.commented", "ExceptionComment", UINT64_C(0xba9311ba44b6829b)},
    {"record.corrected", "RecordCorrected", UINT64_C(0xb09c7cdbfce345e5)},
    {"record.redacted", "RecordRedacted", UINT64_C(0xbb14513e1bb4ad2f)},
    {"access.denied", "AccessDeny", UINT64_C(0xb0dc4728a5fdab19)},
    {"user.added", "UserAdd", UINT64_C(0x93cf465f24935e14)},
    {"user.roles_set", "UserSetRoles", UINT64_C(0xbbe0e05f0619d0b2)},
    {"user.disabled", "UserRef", UINT64_C(0xd065587624addcbf)},
    {"user.enabled", "UserRef", UINT64_C(0xd065587624addcbf)},
    {"user.password_set", "UserSetPassword", UINT64_C(0xa206fd80ee532623)},
    {"user.locked", "UserLock", UINT64_C(0xfdbcde87c6114c07)},
    {"user.unlocked", "UserRef", UINT64_C(0xd065587624addcbf)},
    {"token.created", "TokenCreate", UINT64_C(0xd99252652becd651)},
    {"token.revoked", "TokenRevoke", UINT64_C(0xc66f1f709cf828ed)},
    {"signature.policy_set", "SignaturePolicySet", UINT64_C(0xa671758e3b9e81ac)},
    {"signature.signed", "SignatureSigned", UINT64_C(0xad81251ac9e936ee)},
    {"retention.policy_set", "RetentionPolicySet", UINT64_C(0xf39a8f01c3988a41)},
    {"config.recorded", "ConfigRecord", UINT64_C(0xe6c31765bc8855e4)},
    {"ledger.key_rotated", "KeyRotated", UINT64_C(0xaeccf0a3ac11d11f)},
    {"record.entered_late", "RecordEnteredLate", UINT64_C(0x8bba022403f53df0)},
    {"epcis.captured", "EpcisCaptured", UINT64_C(0x9b344aaa74696b0f)},
    {"receipt.expected", "ReceiptExpect", UINT64_C(0x8fbfc06982d19b3a)},
    {"receipt.cancelled", "ReceiptCancel", UINT64_C(0x8d1d9218ef93658e)},
    {"receipt.late", "ReceiptLate", UINT64_C(0x942a1680445ea068)},
    {"lot.expired", "LotRef", UINT64_C(0xc5ebac87c995595b)},
    {"qualification.granted", "QualificationGrant", UINT64_C(0xba6abd816d43a284)},
    {"qualification.revoked", "QualificationRevoke", UINT64_C(0xa280a75f292b0c81)},
    {"equipment.cleaned", "EquipmentClean", UINT64_C(0xfb0665421069c899)},
    {"equipment.calibrated", "EquipmentCalibrate", UINT64_C(0xced3f13952ab099f)},
    {"equipment.status_set", "EquipmentSetStatus", UINT64_C(0x9d0f2d03133da5db)},
    {"defect.defined", "DefectDefine", UINT64_C(0xed04b06626a67c86)},
    {"shift.defined", "ShiftDefine", UINT64_C(0xbf53924205db1c76)},
    {"line.cleared", "LineClear", UINT64_C(0x866805661965e817)},
    {"line.verified", "OpVerify", UINT64_C(0xbddccfec86782fdd)},
    {"label.reconciled", "LabelReconcile", UINT64_C(0xa3ba4d02f227e23b)},
    {"deviation.opened", "DeviationOpened", UINT64_C(0xff3205a7d0bb0165)},
    {"deviation.assessed", "DeviationAssess", UINT64_C(0x8e3c606903151a49)},
    {"deviation.approved", "DeviationApprove", UINT64_C(0x9bf58914cd1cb3ed)},
    {"capa.opened", "CapaOpen", UINT64_C(0xb76d90bde270e8aa)},
    {"capa.completed", "CapaComplete", UINT64_C(0x9700c8450819f97c)},
    {"capa.checked", "CapaCheck", UINT64_C(0x8b611b354e7648e2)},
    {"piece_rate.defined", "PieceRateDefine", UINT64_C(0xc147d7ac71aa6090)},
};

/* Command types: what a custody_command's data holds. */
static const custody_type_info custody_command_types[] = {
    {"note.add", "NoteAdd", UINT64_C(0xbdd48dd0c40260cc)},
    {"material.define", "MaterialDefine", UINT64_C(0xab74cbf1293a4cae)},
    {"party.define", "PartyDefine", UINT64_C(0xf9fe1edd162ccc79)},
    {"equipment.define", "EquipmentDefine", UINT64_C(0xce68951415253587)},
    {"routing.define", "RoutingDefine", UINT64_C(0xa359bad3d6767995)},
    {"lot.receive", "LotReceive", UINT64_C(0x837993e441442fef)},
    {"lot.split", "LotSplit", UINT64_C(0xc0174b1020ca3635)},
    {"lot.merge", "LotMerge", UINT64_C(0xe3de0ef1ba525610)},
    {"lot.transform", "LotTransform", UINT64_C(0xb864961856f9e5f3)},
    {"lot.move", "LotMove", UINT64_C(0x8907f64d58546aa6)},
    {"lot.hold", "LotReason", UINT64_C(0xfd87fdabf08c7a70)},
    {"lot.release", "LotRef", UINT64_C(0xc5ebac87c995595b)},
    {"lot.reject", "LotReason", UINT64_C(0xfd87fdabf08c7a70)},
    {"lot.ship", "LotShip", UINT64_C(0x8483c42cb6283ca6)},
    {"wo.create", "WoCreate", UINT64_C(0xe8d323c013545c25)},
    {"wo.release", "WoRef", UINT64_C(0xf245a0510095616f)},
    {"op.start", "OpStart", UINT64_C(0xc5c43a43c5dca6d1)},
    {"lot.consume", "LotConsume", UINT64_C(0x9b2cd43bd3c4c258)},
    {"lot.produce", "LotProduce", UINT64_C(0xbcad7fda39601183)},
    {"op.report", "OpReport", UINT64_C(0xb655baa82f8a7912)},
    {"op.rework", "OpRework", UINT64_C(0xd9af0d131f368819)},
    {"op.complete", "OpRef", UINT64_C(0xde90f7b613623ee7)},
    {"op.verify", "OpVerify", UINT64_C(0xbddccfec86782fdd)},
    {"wo.complete", "WoRef", UINT64_C(0xf245a0510095616f)},
    {"wo.close", "WoRef", UINT64_C(0xf245a0510095616f)},
    {"wo.schedule", "WoSchedule", UINT64_C(0xbe39035d769b99c2)},
    {"inspection.record", "InspectionRecord", UINT64_C(0xc5369cf8eacd38cf)},
    {"reading.record", "ReadingRecord", UINT64_C(0x9b19996bc4e4e57e)},
    {"exception.raise", "ExceptionRaise", UINT64_C(0xc7c52f4e9f94aff9)},
    {"exception.assign", "ExceptionAssign", UINT64_C(0xa63741e64f77f2fa)},
    {"exception.acknowledge", "ExceptionRef", UINT64_C(0xc0d70242a8ef5802)},
    {"exception.resolve", "ExceptionResolve", UINT64_C(0xbad4a502c60bfe1c)},
    {"exception.close", "ExceptionRef", UINT64_C(0xc0d70242a8ef5802)},
    {"exception.escalate", "ExceptionEscalate", UINT64_C(0xd566fb818913aabf)},
    {"exception.comment", "ExceptionComment", UINT64_C(0xba9311ba44b6829b)},
    {"record.correct", "RecordCorrect", UINT64_C(0xfc29967efce2d81e)},
    {"record.redact", "RecordRedact", UINT64_C(0xfa9c243eb8a86f05)},
    {"access.deny", "AccessDeny", UINT64_C(0xb0dc4728a5fdab19)},
    {"user.add", "UserAdd", UINT64_C(0x93cf465f24935e14)},
    {"user.set_roles", "UserSetRoles", UINT64_C(0xbbe0e05f0619d0b2)},
    {"user.disable", "UserRef", UINT64_C(0xd065587624addcbf)},
    {"user.enable", "UserRef", UINT64_C(0xd065587624addcbf)},
    {"user.set_password", "UserSetPassword", UINT64_C(0xa206fd80ee532623)},
    {"user.lock", "UserLock", UINT64_C(0xfdbcde87c6114c07)},
    {"user.unlock", "UserRef", UINT64_C(0xd065587624addcbf)},
    {"token.create", "TokenCreate", UINT64_C(0xd99252652becd651)},
    {"token.revoke", "TokenRevoke", UINT64_C(0xc66f1f709cf828ed)},
    {"signature.set_policy", "SignaturePolicySet", UINT64_C(0xa671758e3b9e81ac)},
    {"signature.sign", "SignatureSign", UINT64_C(0xbd658a487d905c45)},
    {"retention.set_policy", "RetentionPolicySet", UINT64_C(0xf39a8f01c3988a41)},
    {"config.record", "ConfigRecord", UINT64_C(0xe6c31765bc8855e4)},
    {"epcis.capture", "EpcisCapture", UINT64_C(0xb4fcf50654a0e63e)},
    {"receipt.expect", "ReceiptExpect", UINT64_C(0x8fbfc06982d19b3a)},
    {"receipt.cancel", "ReceiptCancel", UINT64_C(0x8d1d9218ef93658e)},
    {"receipt.late", "ReceiptLate", UINT64_C(0x942a1680445ea068)},
    {"lot.expire", "LotRef", UINT64_C(0xc5ebac87c995595b)},
    {"qualification.grant", "QualificationGrant", UINT64_C(0xba6abd816d43a284)},
    {"qualification.revoke", "QualificationRevoke", UINT64_C(0xa280a75f292b0c81)},
    {"equipment.clean", "EquipmentClean", UINT64_C(0xfb0665421069c899)},
    {"equipment.calibrate", "EquipmentCalibrate", UINT64_C(0xced3f13952ab099f)},
    {"equipment.set_status", "EquipmentSetStatus", UINT64_C(0x9d0f2d03133da5db)},
    {"defect.define", "DefectDefine", UINT64_C(0xed04b06626a67c86)},
    {"shift.define", "ShiftDefine", UINT64_C(0xbf53924205db1c76)},
    {"line.clear", "LineClear", UINT64_C(0x866805661965e817)},
    {"line.verify", "OpVerify", UINT64_C(0xbddccfec86782fdd)},
    {"label.reconcile", "LabelReconcile", UINT64_C(0xa3ba4d02f227e23b)},
    {"deviation.open", "DeviationOpen", UINT64_C(0x966e042c7a2e8697)},
    {"deviation.assess", "DeviationAssess", UINT64_C(0x8e3c606903151a49)},
    {"deviation.approve", "DeviationApprove", UINT64_C(0x9bf58914cd1cb3ed)},
    {"capa.open", "CapaOpen", UINT64_C(0xb76d90bde270e8aa)},
    {"capa.complete", "CapaComplete", UINT64_C(0x9700c8450819f97c)},
    {"capa.check", "CapaCheck", UINT64_C(0x8b611b354e7648e2)},
    {"piece_rate.define", "PieceRateDefine", UINT64_C(0xc147d7ac71aa6090)},
};

/* The entry for an event type, or NULL when the type is unknown. */
static inline const custody_type_info* custody_find_event_type(const char* type) {
  for (size_t i = 0; i < CUSTODY_EVENT_TYPE_COUNT; ++i) {
    if (strcmp(custody_event_types[i].type, type) == 0) return &custody_event_types[i];
  }
  return NULL;
}

/* The entry for a command type, or NULL when the type is unknown. */
static inline const custody_type_info* custody_find_command_type(const char* type) {
  for (size_t i = 0; i < CUSTODY_COMMAND_TYPE_COUNT; ++i) {
    if (strcmp(custody_command_types[i].type, type) == 0) return &custody_command_types[i];
  }
  return NULL;
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CUSTODY_TYPES_H_ */
