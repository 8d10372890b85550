namespace NativeAotPersistence;

/// <summary>Why a held lock was lost (<see cref="PersistenceLockLost.Reason"/>).</summary>
public enum LockLossReason
{
    /// <summary>Its TTL ran out without a renewal.</summary>
    Expired,

    /// <summary>A renewal or check found the key no longer held by this owner: taken over, force-released, or expired in the store.</summary>
    NotHeld,

    /// <summary>A renewal failed (the database stayed busy past its timeout, the connection was lost); <see cref="PersistenceLockLost.Error"/> says how.</summary>
    RenewalFailed,

    /// <summary>
    /// A renewal was not through with a third of the TTL left, so the lease was given up while no other owner could
    /// have it yet (a renewal that completes later releases the key).
    /// </summary>
    RenewalOverdue,
}
