using NativeAotPersistence;

namespace AotConsole;

/// <summary>A device's calibration, cached per device.</summary>
internal sealed record Calibration(string DeviceId, double Offset, double Scale, DateTimeOffset MeasuredAt);

[Payload(typeof(Calibration))]
internal sealed partial class SamplePayloads : PayloadContext;
