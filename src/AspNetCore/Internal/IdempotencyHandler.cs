using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace NativeAotPersistence.AspNetCore.Internal;

/// <summary>
/// The Idempotency-Key handling around one endpoint's whole request delegate (binding, handler and result writing), so it
/// sees the raw request body and the bytes the response really carried.
/// </summary>
internal static class IdempotencyHandler
{
    /// <summary>Lock keys with this prefix are the leases of requests in progress.</summary>
    internal const string LeasePrefix = "nap.idempotency-key:";

    /// <summary>Idempotency records of HTTP requests are stored under this prefix.</summary>
    internal const string RecordPrefix = "http:";

    public static async Task InvokeAsync(HttpContext http, RequestDelegate next, IdempotencyOptions options)
    {
        var request = http.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method))
        {
            // Safe methods are idempotent already (a group's GET routes need no key).
            await next(http).ConfigureAwait(false);
            return;
        }

        var values = request.Headers[options.HeaderName];
        if (values.Count == 0)
        {
            if (options.RequireKey)
            {
                await ProblemAsync(http, StatusCodes.Status400BadRequest, "Idempotency-Key is missing",
                    $"This endpoint requires an {options.HeaderName} header: a unique value per operation, the same on every retry of it.", null).ConfigureAwait(false);
                return;
            }

            await next(http).ConfigureAwait(false);
            return;
        }

        if (values.Count != 1 || !TryParseKey(values[0]!, options.MaxKeyLength, out var key))
        {
            await ProblemAsync(http, StatusCodes.Status400BadRequest, "Idempotency-Key is not valid",
                $"{options.HeaderName} must be one string of 1 to {options.MaxKeyLength} printable ASCII characters (a quoted structured-field string, or a bare token).", null).ConfigureAwait(false);
            return;
        }

        var fingerprint = await FingerprintAsync(request, options).ConfigureAwait(false);
        if (fingerprint is null)
        {
            await ProblemAsync(http, StatusCodes.Status413PayloadTooLarge, "Request body too large",
                $"An idempotent request's body is at most {options.MaxRequestBodyBytes} bytes.", null).ConfigureAwait(false);
            return;
        }

        // The scope (an API key, a tenant) is hashed into the record's key: never stored or listed in clear, of bounded
        // length, and any text a selector returns (even a lone surrogate) is a valid key.
        var recordKey = string.Concat(RecordPrefix, ScopeHash(options.Scope?.Invoke(http)), ":", key);
        var store = http.RequestServices.GetRequiredService<IPersistenceAdapter>();
        var aborted = http.RequestAborted;

        if (await ReplayAsync(http, store, recordKey, fingerprint, options, aborted).ConfigureAwait(false))
        {
            return;
        }

        var lease = await store.Locks.AcquireAsync(LeasePrefix + recordKey, new LockOptions { Ttl = options.LeaseTtl, AutoExtend = true }, aborted).ConfigureAwait(false);
        if (lease is null)
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(options.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await ProblemAsync(http, StatusCodes.Status409Conflict, "A request with this Idempotency-Key is in progress",
                "The first request with this key has not finished yet: retry after the time in Retry-After.", null).ConfigureAwait(false);
            return;
        }

        await using (lease.ConfigureAwait(false))
        {
            // The first request may have finished between the look above and the lease.
            if (await ReplayAsync(http, store, recordKey, fingerprint, options, aborted).ConfigureAwait(false))
            {
                return;
            }

            await RunAndStoreAsync(http, next, store, lease, recordKey, fingerprint, options).ConfigureAwait(false);
        }
    }

    /// <summary>Replays the stored response (or answers 422 for a different request under the key); false when none is stored.</summary>
    private static async ValueTask<bool> ReplayAsync(HttpContext http, IPersistenceAdapter store, string recordKey, byte[] fingerprint, IdempotencyOptions options, CancellationToken cancellationToken)
    {
        IdempotencyRecord<byte[]>? stored;
        try
        {
            stored = await store.Idempotency.GetAsync<byte[]>(recordKey, cancellationToken).ConfigureAwait(false);
        }
        catch (PayloadFormatException)
        {
            await UnreadableAsync(http).ConfigureAwait(false);
            return true;
        }

        if (stored?.Value is not { } blob)
        {
            return false;
        }

        if (!StoredResponse.TryRead(blob, out var response))
        {
            // A record is there, but this version cannot read it (damaged, or written by a later version): never run the
            // operation a second time because of that.
            await UnreadableAsync(http).ConfigureAwait(false);
            return true;
        }

        if (!response.Fingerprint.SequenceEqual(fingerprint))
        {
            await ProblemAsync(http, StatusCodes.Status422UnprocessableEntity, "Idempotency-Key reused with a different request",
                $"This {options.HeaderName} was first used with another request (method, path, query, body or headers differ); use a new key for a new operation.", null).ConfigureAwait(false);
            return true;
        }

        var httpResponse = http.Response;
        httpResponse.StatusCode = response.Status;
        foreach (var (name, value) in response.Headers)
        {
            httpResponse.Headers.Append(name, value);
        }

        httpResponse.Headers[IdempotencyOptions.ReplayedHeaderName] = "true";
        if (response.Body.Length > 0 && response.Status is not (StatusCodes.Status204NoContent or StatusCodes.Status304NotModified) && response.Status >= 200)
        {
            httpResponse.ContentLength = response.Body.Length;
            await httpResponse.Body.WriteAsync(response.Body, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    private static async Task RunAndStoreAsync(HttpContext http, RequestDelegate next, IPersistenceAdapter store, ILockHandle lease, string recordKey, byte[] fingerprint, IdempotencyOptions options)
    {
        // The response is held back (up to MaxResponseBodyBytes) and sent once it is stored: a client that has the
        // response can count on its retries being replays. A larger one streams out past the limit and is not stored.
        var httpResponse = http.Response;
        var originalFeature = http.Features.Get<IHttpResponseBodyFeature>();
        var capture = new CaptureStream(httpResponse.Body, options.MaxResponseBodyBytes);
        httpResponse.Body = capture;
        try
        {
            await next(http).ConfigureAwait(false);

            // What the handler wrote to the pipe (Response.BodyWriter) without flushing is still in it: into the capture.
            await httpResponse.BodyWriter.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            http.Features.Set(originalFeature);
        }

        if (capture.Overflowed)
        {
            await capture.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            return;
        }

        await TryStoreAsync(http, store, lease, recordKey, fingerprint, capture.Captured, options).ConfigureAwait(false);

        // Then to the client; one gone meanwhile finds the stored response when it retries.
        var status = httpResponse.StatusCode;
        var body = capture.Captured;
        if (body.Length == 0 || status is StatusCodes.Status204NoContent or StatusCodes.Status304NotModified)
        {
            return;
        }

        try
        {
            if (httpResponse.ContentLength is null && !httpResponse.HasStarted)
            {
                httpResponse.ContentLength = body.Length;
            }

            await httpResponse.Body.WriteAsync(body, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Stores the response unless it must not be (a failure, a refusal, too many headers, a lost lease).</summary>
    private static async Task TryStoreAsync(HttpContext http, IPersistenceAdapter store, ILockHandle lease, string recordKey, byte[] fingerprint, ReadOnlyMemory<byte> body, IdempotencyOptions options)
    {
        // A failure is not stored, so a retry runs the handler again; neither is a rate-limit refusal or a conflict.
        var httpResponse = http.Response;
        var status = httpResponse.StatusCode;
        if (status >= 500 || status is StatusCodes.Status429TooManyRequests or StatusCodes.Status409Conflict)
        {
            return;
        }

        var headers = new List<(string, string)>();
        foreach (var name in options.ReplayedHeaders)
        {
            foreach (var value in httpResponse.Headers[name])
            {
                if (value is not null)
                {
                    headers.Add((name, value));
                }
            }
        }

        if (headers.Count > StoredResponse.MaxHeaders)
        {
            return;
        }

        var blob = StoredResponse.Write(fingerprint, status, headers, body);

        // A store that fails must not turn the handler's response into an error (the retry runs again).
        try
        {
            // Not when the lease is no longer this request's (it stalled past it; another instance may be running the
            // key): checked on the store. And first writer wins, where the store can tell (this library's providers).
            if (!await lease.IsValidAsync(CancellationToken.None).ConfigureAwait(false))
            {
                return;
            }

            if (store.Idempotency is Backends.IIdempotencyStore first)
            {
                await first.StoreFirstAsync(recordKey, blob, options.Expiration, NativeAotPersistence.Backends.PayloadResolver.Resolve<byte[]>(null), CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await store.Idempotency.SetAsync(recordKey, blob, options.Expiration, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (PersistenceException)
        {
        }
    }

    /// <summary>The scope's SHA-256 in base64url (43 characters), or <c>-</c> for the one shared scope.</summary>
    internal static string ScopeHash(string? scope)
    {
        if (string.IsNullOrEmpty(scope))
        {
            return "-";
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(scope), hash);
        return Convert.ToBase64String(hash).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static Task UnreadableAsync(HttpContext http) => ProblemAsync(http, StatusCodes.Status500InternalServerError, "Stored response unreadable",
        "A response is stored under this Idempotency-Key, but this version cannot read it; the operation is not run again.", null);

    /// <summary>SHA-256 over the method, path, query, the chosen headers and the body; null when the body is too large.</summary>
    private static async ValueTask<byte[]?> FingerprintAsync(HttpRequest request, IdempotencyOptions options)
    {
        if (request.ContentLength > options.MaxRequestBodyBytes)
        {
            return null;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, request.Method);
        Append(hash, request.PathBase.Add(request.Path).Value ?? "");
        Append(hash, request.QueryString.Value ?? "");
        foreach (var name in options.FingerprintHeaders)
        {
            Append(hash, name.ToUpperInvariant());
            Append(hash, request.Headers[name].ToString());
        }

        request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: options.MaxRequestBodyBytes);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            long total = 0;
            int read;
            while ((read = await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted).ConfigureAwait(false)) > 0)
            {
                total += read;
                if (total > options.MaxRequestBodyBytes)
                {
                    return null;
                }

                hash.AppendData(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // The buffering stream's own limit ("Buffer limit exceeded"): a body without Content-Length over the limit.
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        request.Body.Position = 0;
        return hash.GetHashAndReset();

        static void Append(IncrementalHash hash, string text)
        {
            // Length-prefixed, so that no two sequences of parts hash alike.
            Span<byte> length = stackalloc byte[4];
            var bytes = Encoding.UTF8.GetBytes(text);
            BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
            hash.AppendData(length);
            hash.AppendData(bytes);
        }
    }

    /// <summary>
    /// The key: a structured-field string (<c>"..."</c>, RFC 8941, as the draft specifies) or, leniently, a bare token;
    /// printable ASCII, at most <paramref name="maxLength"/> characters.
    /// </summary>
    internal static bool TryParseKey(string header, int maxLength, out string key)
    {
        key = "";
        var text = header.AsSpan().Trim(' ');
        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"')
        {
            var builder = new StringBuilder(text.Length);
            for (var i = 1; i < text.Length - 1; i++)
            {
                var c = text[i];
                if (c == '\\')
                {
                    if (++i == text.Length - 1 || text[i] is not ('"' or '\\'))
                    {
                        return false;
                    }

                    c = text[i];
                }
                else if (c == '"' || c < 0x20 || c > 0x7E)
                {
                    return false;
                }

                builder.Append(c);
            }

            key = builder.ToString();
        }
        else
        {
            foreach (var c in text)
            {
                if (c <= 0x20 || c > 0x7E || c is '"' or ',' or ';' or '\\')
                {
                    return false;
                }
            }

            key = text.ToString();
        }

        return key.Length >= 1 && key.Length <= maxLength;
    }

    /// <summary>An RFC 9457 problem details response, written without reflection.</summary>
    internal static async Task ProblemAsync(HttpContext http, int status, string title, string detail, string? type)
    {
        var response = http.Response;
        response.StatusCode = status;
        response.ContentType = "application/problem+json";
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", type ?? "about:blank");
            json.WriteString("title", title);
            json.WriteNumber("status", status);
            json.WriteString("detail", detail);
            json.WriteEndObject();
        }

        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// Holds what the handler writes, up to a limit; past it, writes what it held to the response and streams the rest
    /// through (<see cref="Overflowed"/>: not stored).
    /// </summary>
    private sealed class CaptureStream(Stream inner, int limit) : Stream
    {
        private readonly MemoryStream _copy = new();

        public bool Overflowed { get; private set; }

        public ReadOnlyMemory<byte> Captured => _copy.GetBuffer().AsMemory(0, (int)_copy.Length);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
            if (Overflowed)
            {
                inner.Flush();
            }
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Overflowed ? inner.FlushAsync(cancellationToken) : Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (!Overflowed && _copy.Length + count <= limit)
            {
                _copy.Write(buffer, offset, count);
                return;
            }

            if (!Overflowed)
            {
                Overflowed = true;
                inner.Write(_copy.GetBuffer(), 0, (int)_copy.Length);
            }

            inner.Write(buffer, offset, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!Overflowed && _copy.Length + buffer.Length <= limit)
            {
                _copy.Write(buffer.Span);
                return;
            }

            if (!Overflowed)
            {
                Overflowed = true;
                await inner.WriteAsync(Captured, cancellationToken).ConfigureAwait(false);
            }

            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}

/// <summary>A stored response: the request's fingerprint, the status, the replayed headers and the body, in one blob.</summary>
internal readonly struct StoredResponse
{
    private StoredResponse(byte[] fingerprint, int status, List<(string, string)> headers, ReadOnlyMemory<byte> body)
    {
        Fingerprint = fingerprint;
        Status = status;
        Headers = headers;
        Body = body;
    }

    private const byte Version = 1;

    /// <summary>The most header values a stored response keeps (a response with more is not stored).</summary>
    public const int MaxHeaders = 1000;

    public byte[] Fingerprint { get; }

    public int Status { get; }

    public List<(string Name, string Value)> Headers { get; }

    public ReadOnlyMemory<byte> Body { get; }

    // Layout: version (1 byte), fingerprint (32), status (int32), header count (int32), per header name and value as
    // (int32 length, UTF-8), then the body to the end. Little-endian.
    public static byte[] Write(byte[] fingerprint, int status, List<(string Name, string Value)> headers, ReadOnlyMemory<byte> body)
    {
        var size = 1 + 32 + 4 + 4 + body.Length;
        foreach (var (name, value) in headers)
        {
            size += 8 + Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value);
        }

        var blob = new byte[size];
        var span = blob.AsSpan();
        span[0] = Version;
        fingerprint.CopyTo(span[1..]);
        var at = 33;
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], status);
        BinaryPrimitives.WriteInt32LittleEndian(span[(at + 4)..], headers.Count);
        at += 8;
        foreach (var (name, value) in headers)
        {
            at += WriteText(span[at..], name);
            at += WriteText(span[at..], value);
        }

        body.Span.CopyTo(span[at..]);
        return blob;

        static int WriteText(Span<byte> span, string text)
        {
            var written = Encoding.UTF8.GetBytes(text, span[4..]);
            BinaryPrimitives.WriteInt32LittleEndian(span, written);
            return 4 + written;
        }
    }

    /// <summary>Reads a stored blob; false for one this version cannot read (damaged, or written by another tool).</summary>
    public static bool TryRead(byte[] blob, out StoredResponse response)
    {
        response = default;
        var span = blob.AsSpan();
        if (span.Length < 41 || span[0] != Version)
        {
            return false;
        }

        var status = BinaryPrimitives.ReadInt32LittleEndian(span[33..]);
        var count = BinaryPrimitives.ReadInt32LittleEndian(span[37..]);
        if (status is < 100 or > 999 || count < 0 || count > MaxHeaders)
        {
            return false;
        }

        var at = 41;
        var headers = new List<(string, string)>(count);
        for (var i = 0; i < count; i++)
        {
            if (!ReadText(span, ref at, out var name) || !ReadText(span, ref at, out var value))
            {
                return false;
            }

            headers.Add((name, value));
        }

        response = new StoredResponse(span[1..33].ToArray(), status, headers, blob.AsMemory(at));
        return true;

        static bool ReadText(ReadOnlySpan<byte> span, ref int at, out string text)
        {
            text = "";
            if (at + 4 > span.Length)
            {
                return false;
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(span[at..]);
            if (length < 0 || length > span.Length - at - 4)
            {
                return false;
            }

            text = Encoding.UTF8.GetString(span.Slice(at + 4, length));
            at += 4 + length;
            return true;
        }
    }
}
