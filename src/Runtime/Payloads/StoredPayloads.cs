using System.ComponentModel;

namespace NativeAotPersistence.Backends;

/// <summary>Backend kit: serializes the payloads a backend stores, with the errors every backend throws for a value it could not read back.</summary>
/// <remarks>Read a stored payload with <see cref="PayloadTypeInfo{T}.Deserialize"/>, and turn its failure into <see cref="PayloadErrors.Format"/>.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class StoredPayloads
{
    /// <summary>Serializes a value a backend is about to store under <paramref name="key"/>, as UTF-8 JSON.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="typeInfo">The payload's serializer.</param>
    /// <param name="key">The caller's key, named in the error.</param>
    /// <param name="value">The value.</param>
    /// <returns>The UTF-8 JSON to store.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="typeInfo"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// The value could not be read back (it nests deeper than 64 levels, holds a cycle, or holds NaN or an infinity):
    /// the exception names the key and the rule, with the serializer's error inside. Store nothing then.
    /// </exception>
    public static byte[] Serialize<T>(PayloadTypeInfo<T> typeInfo, string key, T value)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return typeInfo.SerializeFor(key, value);
    }
}
