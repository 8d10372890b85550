using NativeAotPersistence;

namespace AotConsole;

/// <summary>A device's calibration, cached per device: <c>calibrated = raw * Scale + OffsetMilli</c>.</summary>
internal sealed record Calibration(string DeviceId, long OffsetMilli, double Scale, DateTimeOffset MeasuredAt);

/// <summary>What the upstream answered for one batch; stored by <c>ExecuteOnceAsync</c> under the batch id.</summary>
internal sealed record BatchReceipt(string BatchId, long UpstreamSequence, bool Repeat, DateTimeOffset AcceptedAt);

/// <summary>
/// The upload job's checkpoint: what the job is (its id and parameters, so a resumed run uses the same ones), where it
/// stands (the next batch) and the running totals the final summary reports.
/// </summary>
internal sealed record UploadState(
    string JobId,
    long Seed,
    int Records,
    int BatchSize,
    int NextBatch,
    long RecordsDone,
    long SumMilli,
    long MinMilli,
    long MaxMilli,
    int BatchesDelivered,
    int DuplicatesAvoided,
    int UpstreamRepeats,
    int UpstreamFailures,
    int BreakerOpenings,
    long CacheLookups,
    long CacheMisses,
    long ElapsedMs,
    int Sessions)
{
    // Methods, not properties: the generated serializer writes every public property.
    public int BatchCount() => (int)((Records + (long)BatchSize - 1) / BatchSize);

    public bool IsComplete() => NextBatch >= BatchCount();
}

[Payload(typeof(Calibration))]
[Payload(typeof(BatchReceipt))]
[Payload(typeof(UploadState))]
internal sealed partial class SamplePayloads : PayloadContext;
