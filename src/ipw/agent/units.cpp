#include "ipw/agent/units.h"

#include <algorithm>
#include <initializer_list>

#include <fmt/format.h>

#include "ipw/common/text.h"

namespace ipw::agent {
namespace {

// A unit: its quantity, its size in the quantity's base unit, and an offset for the
// temperature scales (base = value × factor + offset, base kelvin).
struct Unit {
  const char* quantity;
  double factor;
  double offset;
  std::initializer_list<const char*> names;
};

const Unit kUnits[] = {
    {"length", 1, 0, {"m", "metre", "meter", "metres", "meters"}},
    {"length", 1e3, 0, {"km", "kilometre", "kilometer", "kilometres", "kilometers"}},
    {"length", 1e-2, 0, {"cm", "centimetre", "centimeter", "centimetres", "centimeters"}},
    {"length", 1e-3, 0, {"mm", "millimetre", "millimeter", "millimetres", "millimeters"}},
    {"length", 1609.344, 0, {"mi", "mile", "miles"}},
    {"length", 0.9144, 0, {"yd", "yard", "yards"}},
    {"length", 0.3048, 0, {"ft", "foot", "feet"}},
    {"length", 0.0254, 0, {"in", "inch", "inches"}},
    {"length", 1852, 0, {"nmi", "nautical mile", "nautical miles"}},
    {"mass", 1, 0, {"kg", "kilogram", "kilograms"}},
    {"mass", 1e-3, 0, {"g", "gram", "grams"}},
    {"mass", 1e-6, 0, {"mg", "milligram", "milligrams"}},
    {"mass", 1e3, 0, {"t", "tonne", "tonnes", "metric ton", "metric tons"}},
    {"mass", 0.45359237, 0, {"lb", "lbs", "pound", "pounds"}},
    {"mass", 0.028349523125, 0, {"oz", "ounce", "ounces"}},
    {"time", 1, 0, {"s", "sec", "second", "seconds"}},
    {"time", 1e-3, 0, {"ms", "millisecond", "milliseconds"}},
    {"time", 60, 0, {"min", "minute", "minutes"}},
    {"time", 3600, 0, {"h", "hr", "hour", "hours"}},
    {"time", 86400, 0, {"d", "day", "days"}},
    {"time", 604800, 0, {"week", "weeks"}},
    {"volume", 1, 0, {"l", "litre", "liter", "litres", "liters"}},
    {"volume", 1e-3, 0, {"ml", "millilitre", "milliliter", "millilitres", "milliliters"}},
    {"volume", 1e3, 0, {"m3", "cubic metre", "cubic meter", "cubic metres", "cubic meters"}},
    {"volume", 3.785411784, 0, {"gal", "gallon", "gallons", "us gallon", "us gallons"}},
    {"energy", 1, 0, {"j", "joule", "joules"}},
    {"energy", 1e3, 0, {"kj", "kilojoule", "kilojoules"}},
    {"energy", 3600, 0, {"wh", "watt-hour", "watt-hours", "watt hour", "watt hours"}},
    {"energy", 3.6e6, 0, {"kwh", "kilowatt-hour", "kilowatt-hours", "kilowatt hour", "kilowatt hours"}},
    {"energy", 4.184, 0, {"cal", "calorie", "calories"}},
    {"energy", 4184, 0, {"kcal", "kilocalorie", "kilocalories"}},
    {"power", 1, 0, {"w", "watt", "watts"}},
    {"power", 1e3, 0, {"kw", "kilowatt", "kilowatts"}},
    {"power", 1e6, 0, {"mw", "megawatt", "megawatts"}},
    {"power", 745.69987158227022, 0, {"hp", "horsepower"}},
    {"speed", 1, 0, {"m/s", "metres per second", "meters per second"}},
    {"speed", 1 / 3.6, 0, {"km/h", "kph", "kilometres per hour", "kilometers per hour"}},
    {"speed", 0.44704, 0, {"mph", "miles per hour"}},
    {"speed", 1852.0 / 3600, 0, {"kn", "knot", "knots"}},
    {"temperature", 1, 0, {"k", "kelvin"}},
    {"temperature", 1, 273.15, {"c", "°c", "celsius", "degrees celsius"}},
    {"temperature", 5.0 / 9, 273.15 - 32 * 5.0 / 9, {"f", "°f", "fahrenheit", "degrees fahrenheit"}},
};

const Unit* find_unit(std::string_view name) {
  const std::string key = ascii_lower(trim(name));
  for (const Unit& u : kUnits) {
    for (const char* n : u.names) {
      if (key == n) return &u;
    }
  }
  return nullptr;
}

}  // namespace

Expected<double, std::string> convert_units(double value, std::string_view from, std::string_view to) {
  const Unit* a = find_unit(from);
  const Unit* b = find_unit(to);
  if (!a || !b) return unexpected(fmt::format("unknown unit '{}'", !a ? from : to));
  if (std::string_view(a->quantity) != b->quantity) {
    return unexpected(fmt::format("cannot convert {} ({}) to {} ({})", from, a->quantity, to, b->quantity));
  }
  return (value * a->factor + a->offset - b->offset) / b->factor;
}

}  // namespace ipw::agent
