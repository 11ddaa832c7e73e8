// fat time stamps (fs/fat/misc.c): FAT's local date and 2-second time, taken as UTC (no tz= offset).

/** 1980-01-01, the first time FAT can hold. */
const SECS_1980: i64 = 315532800;
/** 2107-12-31 23:59:58, the last. */
const SECS_2107: i64 = 4354819198;

/** Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
function daysFromCivil(y0: i64, m: i64, d: i64): i64 {
  const y = m <= 2 ? y0 - 1 : y0;
  const era = (y >= 0 ? y : y - 399) / 400;
  const yoe = y - era * 400;
  const doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/** fat_time_fat2unix(): seconds since the epoch of a FAT date and time. */
export function fatToUnix(date: u32, time: u32): i64 {
  const year = <i64>(date >> 9) + 1980;
  const month = max<i64>(1, <i64>((date >> 5) & 15));
  const day = max<i64>(1, <i64>(date & 31));
  const secs = <i64>(time >> 11) * 3600 + <i64>((time >> 5) & 63) * 60 + <i64>(time & 31) * 2;
  return daysFromCivil(year, month, day) * 86400 + secs;
}

/** fat_time_unix2fat(): the FAT date (high 16 bits) and time (low 16 bits) of a time, clamped to FAT's range. */
export function unixToFat(t0: i64): u32 {
  const t = t0 < SECS_1980 ? SECS_1980 : t0 > SECS_2107 ? SECS_2107 : t0;
  const days = t / 86400;
  const secs = t % 86400;
  // civil_from_days
  const z = days + 719468;
  const era = z / 146097;
  const doe = z - era * 146097;
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const d = doy - (153 * mp + 2) / 5 + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const date = (<u32>(y - 1980) << 9) | (<u32>m << 5) | <u32>d;
  const time = (<u32>(secs / 3600) << 11) | (<u32>((secs / 60) % 60) << 5) | <u32>((secs % 60) / 2);
  return (date << 16) | time;
}
