// Internal to core/epcis: the words of the CBV 2.0 (and GS1 web vocabulary) lists that an
// EPCIS 2.0 JSON-LD document may write bare, and the namespace each expands to. The event hash
// expands them; the validator checks membership. One list, so the two cannot disagree.
#pragma once

#include <algorithm>
#include <string_view>

namespace custody::epcis::cbv {

// A vocabulary: its namespace prefix and its words, separated by single spaces.
struct Terms {
  std::string_view prefix;
  std::string_view words;

  [[nodiscard]] constexpr bool has(std::string_view word) const {
    if (word.empty() || word.find(' ') != std::string_view::npos) return false;
    for (std::size_t at = 0; at < words.size();) {
      const std::size_t end = std::min(words.find(' ', at), words.size());
      if (words.substr(at, end - at) == word) return true;
      at = end + 1;
    }
    return false;
  }
};

inline constexpr Terms kBizStep{
    "https://ref.gs1.org/cbv/BizStep-",
    "accepting arriving assembling collecting commissioning consigning "
    "creating_class_instance cycle_counting decommissioning departing destroying "
    "disassembling dispensing encoding entering_exiting holding inspecting "
    "installing killing loading other packing picking receiving removing repackaging "
    "repairing replacing reserving retail_selling sampling sensor_reporting shipping "
    "staging_outbound stock_taking stocking storing transporting unloading unpacking "
    "void_shipping"};
inline constexpr Terms kDisposition{
    "https://ref.gs1.org/cbv/Disp-",
    "active available completeness_inferred completeness_verified conformant "
    "container_closed container_open damaged destroyed dispensed disposed encoded "
    "expired in_progress in_transit inactive mismatch_class mismatch_instance "
    "mismatch_quantity needs_replacement no_pedigree_match non_conformant "
    "non_sellable_other partially_dispensed recalled reserved retail_sold returned "
    "sellable_accessible sellable_not_accessible stolen unavailable unknown"};
inline constexpr Terms kBizTransactionType{
    "https://ref.gs1.org/cbv/BTT-",
    "bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt"};
inline constexpr Terms kSourceDestinationType{"https://ref.gs1.org/cbv/SDT-",
                                              "location owning_party possessing_party"};
inline constexpr Terms kMeasurementType{
    "https://gs1.org/voc/",
    "AbsoluteHumidity AbsorbedDose AbsorbedDoseRate Acceleration Altitude "
    "AmountOfSubstance AmountOfSubstancePerUnitVolume Angle AngularAcceleration "
    "AngularMomentum AngularVelocity Area Capacitance Conductance Conductivity Count "
    "Density Dimensionless DoseEquivalent DoseEquivalentRate DynamicViscosity "
    "ElectricCharge ElectricCurrent ElectricCurrentDensity ElectricFieldStrength "
    "Energy Exposure Force Frequency Illuminance Inductance Irradiance "
    "KinematicViscosity Length LinearMomentum Luminance LuminousFlux "
    "LuminousIntensity MagneticFlux MagneticFluxDensity MagneticVectorPotential Mass "
    "MassConcentration MassFlowRate MassPerAreaTime MemoryCapacity MolalityOfSolute "
    "MolarEnergy MolarMass MolarVolume Power Pressure RadiantFlux RadiantIntensity "
    "Radioactivity RelativeHumidity Resistance Resistivity SolidAngle SpecificVolume "
    "Speed SurfaceDensity SurfaceTension Temperature Time Torque Voltage Volume "
    "VolumeFlowRate VolumeFraction VolumetricFlux Wavenumber"};
inline constexpr Terms kSensorAlert{"https://gs1.org/voc/", "ALARM_CONDITION ERROR_CONDITION"};
inline constexpr Terms kComponent{
    "https://ref.gs1.org/cbv/Comp-",
    "altitude axial_distance azimuth easting elevation_angle height latitude "
    "longitude northing polar_angle spherical_radius x y z"};

}  // namespace custody::epcis::cbv
