// Internal to tools/gen: what the demo plant is made of: its work centres and process
// parameters, raw materials and packaging, suppliers and customers, products and their
// recipes, machines, people, and the breakdowns and incidents that befall it. Data only; the
// simulation (plant_simulation.cc) runs the plant from it.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "custody/common/clock.h"

namespace custody::gen::plant {

enum class Wc : std::uint8_t { kWash, kCut, kDry, kMix, kPack, kCold };
constexpr int idx(Wc wc) {
  return static_cast<int>(wc);
}
constexpr std::array<std::string_view, 6> kWorkCenters = {"wash", "cut",  "dry",
                                                          "mix",  "pack", "cold"};
constexpr std::array<std::string_view, 5> kStepNames = {"Flume wash and sanitise", "Cut",
                                                        "Spin dry", "Blend", "Pack"};

// Process parameters; limits in tenths.
struct Param {
  std::string_view name, unit;
  int min, max;
};
enum ParamIdx { kChlorine, kWaterTemp, kPh, kRoomTemp, kParamCount };
constexpr std::array<Param, kParamCount> kParams = {{
    {"chlorine", "ppm", 500, 2000},
    {"water-temperature", "C", 0, 50},
    {"pH", "pH", 60, 75},
    {"temperature", "C", 0, 50},
}};

struct Named {
  std::string_view id, name;
};

enum Raw { kRomaine, kIceberg, kGreenLeaf, kRedLeaf, kSpinach, kArugula, kRedCabbage, kCarrots };
constexpr std::array<Named, 8> kRaw = {{
    {"romaine", "Romaine hearts, field-packed"},
    {"iceberg", "Iceberg lettuce, cored"},
    {"green-leaf", "Green leaf lettuce"},
    {"red-leaf", "Red leaf lettuce"},
    {"baby-spinach", "Baby spinach, bulk bins"},
    {"arugula", "Baby arugula, bulk bins"},
    {"red-cabbage", "Red cabbage"},
    {"carrots", "Carrots, jumbo"},
}};

enum Packaging { kFilm10, kFilm12, kClam5, kClam6, kCase12, kCase6 };
constexpr std::array<Named, 6> kPackaging = {{
    {"film-10oz", "Printed bag film, chopped romaine 10 oz (per bag)"},
    {"film-12oz", "Printed bag film, garden salad 12 oz (per bag)"},
    {"clamshell-5oz", "Clamshell 5 oz with lid, rPET"},
    {"clamshell-6oz", "Clamshell 6 oz with lid, rPET"},
    {"case-12ct", "Corrugated shipping case, 12-count"},
    {"case-6ct", "Corrugated shipping case, 6-count"},
}};

// Global material indices: raw, then packaging, then finished products.
constexpr int kFirstPackaging = static_cast<int>(kRaw.size());
constexpr int kFirstProduct = kFirstPackaging + static_cast<int>(kPackaging.size());

struct Supplier {
  std::string_view id, name, code, address, gln;  // gln: 12 digits, check digit added
  unsigned grows;                                 // bit per Raw
};
constexpr unsigned bit(Raw r) {
  return 1u << r;
}
constexpr std::array<Supplier, 6> kSuppliers = {{
    {"green-farms", "Green Farms", "GF", "1120 Abbott St, Salinas, CA 93901", "061414100011",
     bit(kRomaine) | bit(kIceberg) | bit(kGreenLeaf)},
    {"valle-verde", "Valle Verde Growers", "VV", "4410 E County 14th St, Yuma, AZ 85365",
     "061414100028", bit(kRomaine) | bit(kIceberg) | bit(kRedLeaf)},
    {"coastal-leaf", "Coastal Leaf Co.", "CL", "210 Harkins Slough Rd, Watsonville, CA 95076",
     "061414100035", bit(kSpinach) | bit(kArugula) | bit(kGreenLeaf)},
    {"sunrise-produce", "Sunrise Produce", "SP", "2800 Betteravia Rd, Santa Maria, CA 93455",
     "061414100042", bit(kRedLeaf) | bit(kArugula) | bit(kRedCabbage) | bit(kSpinach)},
    {"desert-bloom", "Desert Bloom Farms", "DB", "1501 Hwy 111, Brawley, CA 92227", "061414100059",
     bit(kIceberg) | bit(kCarrots) | bit(kRedCabbage)},
    {"pacific-pack", "Pacific Packaging Supply", "PP", "3300 S Cherry Ave, Fresno, CA 93706",
     "061414100066", 0},
}};
constexpr int kFarmCount = 5;
constexpr int kPackagingSupplier = 5;

struct Customer {
  std::string_view id, name, address, gln;
};
constexpr std::array<Customer, 6> kCustomers = {{
    {"dc-sacramento", "Harvest Market DC Sacramento", "8200 Power Inn Rd, Sacramento, CA 95828",
     "061414100103"},
    {"dc-tracy", "Valley Grocers DC Tracy", "2250 W Schulte Rd, Tracy, CA 95377", "061414100110"},
    {"dc-ontario", "SoCal Fresh DC Ontario", "4600 E Mission Blvd, Ontario, CA 91761",
     "061414100127"},
    {"dc-phoenix", "Desert Market DC Phoenix", "6701 W Buckeye Rd, Phoenix, AZ 85043",
     "061414100134"},
    {"dc-portland", "Cascade Foods DC Portland", "11700 NE Marx St, Portland, OR 97220",
     "061414100141"},
    {"dc-salt-lake", "Wasatch Grocers DC Salt Lake City", "1550 S 4800 W, Salt Lake City, UT 84104",
     "061414100158"},
}};

struct Ingredient {
  Raw raw;
  std::int64_t grams;  // per case, before trim (thousandths of a kg)
};

struct Product {
  std::string_view id, name, gtin;  // gtin: 13 digits, check digit added
  std::array<Ingredient, 4> ingredients;
  int n_ingredients;
  bool cut, mix;
  Packaging film, carton;
  int units;     // packages per case
  int label_dg;  // declared net weight per package, tenths of a gram
  int pallet;    // cases per full pallet
  int min_cases, max_cases;
  std::array<int, 5> mpu;  // standard minutes per case x1000: wash, cut, dry, mix, pack
  int weight;              // how often the planner schedules it
};
constexpr std::array<Product, 4> kProducts = {{
    {"chopped-romaine-10oz",
     "Chopped romaine 10 oz bag, 12/case",
     "1061414110010",
     {{{kRomaine, 3700}}},
     1,
     true,
     false,
     kFilm10,
     kCase12,
     12,
     2835,
     80,
     200,
     500,
     {148, 80, 100, 0, 200},
     3},
    {"garden-salad-12oz",
     "Garden salad 12 oz bag, 12/case",
     "1061414110027",
     {{{kIceberg, 3650}, {kCarrots, 400}, {kRedCabbage, 300}}},
     3,
     true,
     true,
     kFilm12,
     kCase12,
     12,
     3402,
     70,
     200,
     450,
     {174, 90, 110, 50, 200},
     2},
    {"spring-mix-5oz",
     "Spring mix 5 oz clamshell, 6/case",
     "1061414110034",
     {{{kGreenLeaf, 300}, {kRedLeaf, 250}, {kSpinach, 200}, {kArugula, 200}}},
     4,
     false,
     true,
     kClam5,
     kCase6,
     6,
     1417,
     120,
     400,
     1000,
     {38, 0, 40, 30, 150},
     3},
    {"baby-spinach-6oz",
     "Baby spinach 6 oz clamshell, 6/case",
     "1061414110041",
     {{{kSpinach, 1150}}},
     1,
     false,
     false,
     kClam6,
     kCase6,
     6,
     1701,
     110,
     300,
     800,
     {46, 0, 45, 0, 150},
     2},
}};

enum class Format : std::uint8_t { kAny, kBag, kClamshell };
constexpr Format format_of(const Product& p) {
  return p.film == kClam5 || p.film == kClam6 ? Format::kClamshell : Format::kBag;
}

struct MachineSpec {
  std::string_view id, name;
  Wc wc;
  Format format;
};
constexpr std::array<MachineSpec, 14> kMachines = {{
    {"flume-1", "Flume washer 1", Wc::kWash, Format::kAny},
    {"flume-2", "Flume washer 2", Wc::kWash, Format::kAny},
    {"cutter-1", "Cutter 1 (dicer)", Wc::kCut, Format::kAny},
    {"cutter-2", "Cutter 2 (dicer)", Wc::kCut, Format::kAny},
    {"dryer-1", "Spin dryer 1", Wc::kDry, Format::kAny},
    {"dryer-2", "Spin dryer 2", Wc::kDry, Format::kAny},
    {"dryer-3", "Spin dryer 3", Wc::kDry, Format::kAny},
    {"mixer-1", "Tumble blender 1", Wc::kMix, Format::kAny},
    {"bagger-1", "VFFS bagger 1", Wc::kPack, Format::kBag},
    {"bagger-2", "VFFS bagger 2", Wc::kPack, Format::kBag},
    {"clam-filler-1", "Clamshell filler 1", Wc::kPack, Format::kClamshell},
    {"clam-filler-2", "Clamshell filler 2", Wc::kPack, Format::kClamshell},
    {"cold-room-raw", "Raw material cold room", Wc::kCold, Format::kAny},
    {"cold-room-fg", "Finished goods cold room", Wc::kCold, Format::kAny},
}};
constexpr std::array<int, 2> kColdRooms = {12, 13};

// QA's defect catalogue (defect.define), and which defects each step's scrap usually has.
struct Defect {
  std::string_view id, name, category;
};
constexpr std::array<Defect, 7> kDefects = {{
    {"wilted", "Wilted or discoloured leaves", "produce"},
    {"bruised", "Bruised or torn leaves", "produce"},
    {"foreign-matter", "Foreign matter (stones, insects, plastic)", "contamination"},
    {"soil", "Soil on the leaves", "contamination"},
    {"wet", "Leaves still wet after drying", "process"},
    {"underweight", "Bag under its declared weight", "pack"},
    {"seal", "Leaking or weak seal", "pack"},
}};
constexpr int kWiltedDefect = 0;
constexpr int kSoilDefect = 3;
constexpr std::array<std::array<int, 2>, 5> kStepDefects = {{
    {0, 2},  // wash: wilted, foreign matter
    {1, 2},  // cut: bruised, foreign matter
    {4, 1},  // dry: wet, bruised
    {1, 2},  // mix: bruised, foreign matter
    {5, 6},  // pack: underweight, seal
}};

// The plant's shifts (shift.define), on its own clock.
struct Shift {
  std::string_view id, name, start, end;
};
constexpr std::array<Shift, 3> kShifts = {{
    {"early", "Early shift", "06:00", "14:00"},
    {"late", "Late shift", "14:00", "22:00"},
    {"night", "Night (sanitation)", "22:00", "06:00"},
}};

// People. Two crews of five operators alternate shifts weekly and rotate work centres daily.
constexpr std::array<std::string_view, 10> kOperators = {
    "maria", "james", "wei", "ahmed", "sofia", "daniel", "priya", "tomas", "grace", "kofi"};
constexpr std::array<std::string_view, 2> kSupervisors = {"rosa", "marcus"};
constexpr std::array<std::string_view, 2> kQaTechs = {"hannah", "omar"};
constexpr std::array<std::string_view, 2> kMaintenance = {"victor", "sam"};
constexpr std::array<std::string_view, 2> kShippers = {"nina", "dev"};
constexpr std::string_view kQaManager = "elena";
constexpr std::string_view kReceiver = "frank";
constexpr std::string_view kPlanner = "paul";
constexpr std::string_view kEngineer = "jordan";
constexpr std::string_view kSanitation = "luis";

// What goes wrong, and how it is put right.
struct Trouble {
  Wc wc;
  Format format;
  std::string_view description, root_cause, action;
};
constexpr std::array<Trouble, 10> kBreakdowns = {{
    {Wc::kWash, Format::kAny, "Flume recirculation pump cavitating; flow below 300 L/min",
     "Suction strainer clogged with leaf debris",
     "Strainer cleaned, pump primed, flow verified at 420 L/min"},
    {Wc::kWash, Format::kAny, "Chlorine injection line leaking at the flume manifold",
     "Cracked PVC union on the dosing line",
     "Union replaced, line pressure-tested, dosing verified by titration"},
    {Wc::kCut, Format::kAny, "Cutter blade guard cracked", "Guard fatigued at the hinge bolt",
     "Guard replaced, blades inspected and re-torqued, interlock tested"},
    {Wc::kCut, Format::kAny, "Cutter impeller bearing running hot (78 C)",
     "Bearing grease washed out during sanitation",
     "Bearing replaced and packed with food-grade H1 grease"},
    {Wc::kDry, Format::kAny, "Spin dryer basket out of balance; vibration alarm",
     "Basket liner torn, load uneven", "Liner replaced, load cell re-zeroed, test spin passed"},
    {Wc::kDry, Format::kAny, "Spin dryer lid interlock fault", "Interlock switch misaligned",
     "Switch realigned; safety circuit tested"},
    {Wc::kMix, Format::kAny, "Tumble blender drive belt slipping", "Belt worn and glazed",
     "Belt replaced and tensioned"},
    {Wc::kPack, Format::kBag, "Bagger jaw seal temperature alarm",
     "Heater cartridge failed on the rear jaw",
     "Heater cartridge replaced; seal strength tested on 10 bags"},
    {Wc::kPack, Format::kBag, "Film tracking fault on the forming tube",
     "Film roll splice misaligned", "Roll re-spliced; tracking sensor cleaned"},
    {Wc::kPack, Format::kClamshell, "Clamshell lid closer jammed",
     "Deformed clamshell stack jammed the denester", "Denester cleared and adjusted"},
}};

struct Fix {
  std::string_view root_cause, action;
};
constexpr std::array<Fix, 3> kChlorineFixes = {{
    {"Chlorine dosing pump lost prime",
     "Pump re-primed; free chlorine back to 120 ppm by titration; product washed during the dip "
     "re-washed"},
    {"Make-up water surge diluted the flume",
     "Make-up valve throttled; chlorine recovered within 5 minutes; affected product re-washed"},
    {"Chlorine analyser probe fouled",
     "Probe cleaned and calibrated; manual titration confirmed 95 ppm"},
}};
constexpr std::array<Fix, 3> kDoorFixes = {{
    {"Door left ajar after forklift traffic",
     "Door closed, strip curtain re-hung, door alarm tested; product core temperatures 3 C"},
    {"Rapid-roll door sensor failed and the door stayed open",
     "Sensor replaced; product core temperatures checked, all below 5 C"},
    {"Evaporator iced up after a missed defrost",
     "Manual defrost run, defrost timer reset; room back to 2.5 C within 40 minutes"},
}};
struct Incident {
  std::string_view category, severity, description, root_cause, action;
};
constexpr std::array<Incident, 4> kIncidents = {{
    {"personnel", "medium", "Two operators called in sick on shift 2; bagger 2 short-crewed",
     "Seasonal illness", "Two agency operators given GMP training and assigned"},
    {"personnel", "low", "Forklift licence expired for the night loader",
     "Renewal date missed in the training matrix",
     "Driver recertified; training matrix reminders set"},
    {"environment", "medium", "Condensation dripping from the ceiling above the cut line",
     "Evaporator defrost schedule misconfigured",
     "Defrost schedule corrected; ceiling sanitised; product under the drip inspected, none "
     "affected"},
    {"environment", "high", "Floor drain backing up next to the flume washers",
     "Drain trap clogged with leaf debris",
     "Drain cleared and sanitised; environmental swabs taken (Listeria negative)"},
}};

}  // namespace custody::gen::plant
