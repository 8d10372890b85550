namespace NativeAotPersistence;

/// <summary>Live and expired rows of one kind. Expired rows are invisible to the providers and reclaimed by pruning.</summary>
/// <param name="Live">Rows that are live now.</param>
/// <param name="Expired">Rows past their expiry, not reclaimed yet.</param>
public readonly record struct RowCounts(int Live, int Expired);
