namespace AotConsole;

/// <summary>
/// Deterministic sensor readings: reading <c>i</c> of seed <c>s</c> is a pure function of <c>(s, i)</c>, so a resumed
/// run regenerates exactly the batches a killed run would have sent, without replaying a random generator.
/// </summary>
internal static class Telemetry
{
    /// <summary>How many devices the readings come from (each has one cached calibration).</summary>
    public const int Devices = 250;

    private static readonly DateTimeOffset s_calibrationEpoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>One reading: the device it came from and its raw value in milli-degrees Celsius.</summary>
    public static (int Device, long RawMilli) Reading(long seed, long index)
    {
        var h = Mix(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL) ^ (ulong)index);
        var device = (int)(h % Devices);
        var raw = 15_000 + (long)((h >> 20) % 20_000);
        return (device, raw);
    }

    /// <summary>The device id used as the calibration cache key.</summary>
    public static string DeviceId(int device) => "dev-" + device.ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>What the (simulated) calibration service returns for a device; the same every time.</summary>
    public static Calibration CalibrationOf(int device)
    {
        var h = Mix(0xC0FFEEUL + (ulong)device);
        var offset = (long)(h % 1001) - 500;
        var scale = 0.95 + ((h >> 16) % 10_001 / 100_000.0);
        return new Calibration(DeviceId(device), offset, scale, s_calibrationEpoch.AddMinutes(device));
    }

    /// <summary>Applies a calibration, rounding to whole milli-degrees so sums are exact and order-independent.</summary>
    public static long Calibrate(long rawMilli, Calibration calibration) =>
        (long)Math.Round((rawMilli * calibration.Scale) + calibration.OffsetMilli, MidpointRounding.AwayFromZero);

    /// <summary>A deterministic value in [0, 1) for a (seed, batch, attempt): whether the simulated upstream fails.</summary>
    public static double Roll(long seed, long batch, int attempt) =>
        (Mix(Mix(unchecked((ulong)seed + 0xBADC0DEUL)) ^ ((ulong)batch << 8) ^ (ulong)attempt) >> 11) * (1.0 / (1UL << 53));

    // SplitMix64's finalizer: a cheap, well-distributed 64-bit hash.
    private static ulong Mix(ulong z)
    {
        unchecked
        {
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
