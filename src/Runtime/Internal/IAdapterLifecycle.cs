namespace NativeAotPersistence;

/// <summary>What providers shared between backends need from their adapter.</summary>
internal interface IAdapterLifecycle
{
    /// <summary>Throws <see cref="InvalidOperationException"/> unless the adapter is connected.</summary>
    void EnsureConnected();
}
