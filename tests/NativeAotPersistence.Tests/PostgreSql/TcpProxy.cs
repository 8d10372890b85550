using System.Net;
using System.Net.Sockets;

namespace NativeAotPersistence.Tests.PostgreSql;

/// <summary>
/// A loopback TCP relay in front of the test server, so a test can "stop the server" for one adapter only: <see cref="Stop"/>
/// resets every relayed connection and closes the port; <see cref="Start"/> opens the same port again.
/// <see cref="CutAfterClientSends"/> breaks one connection at a chosen point of the protocol, deterministically.
/// </summary>
public sealed class TcpProxy : IDisposable
{
    private readonly int _targetPort;
    private readonly List<TcpClient> _connections = [];
    private TcpListener? _listener;
    private CancellationTokenSource? _stop;
    private byte[]? _cutPattern;

    /// <summary>The wire message of a plain <c>COMMIT</c> (a simple Query: 'Q', its length, the text and a NUL).</summary>
    public static readonly byte[] CommitMessage = [(byte)'Q', 0, 0, 0, 11, .. "COMMIT"u8, 0];

    /// <summary>
    /// Arms a one-shot cut: the next client message that contains <paramref name="text"/> reaches the server, and then
    /// its connection is reset before any reply comes back, so the server did what was asked but the client never hears
    /// of it (an ambiguous outcome, on purpose).
    /// </summary>
    public void CutAfterClientSends(string text) => CutAfterClientSends(System.Text.Encoding.UTF8.GetBytes(text));

    /// <inheritdoc cref="CutAfterClientSends(string)"/>
    public void CutAfterClientSends(byte[] bytes) => Volatile.Write(ref _cutPattern, bytes);

    /// <summary>Gets how many connections a cut broke.</summary>
    public int Cuts { get; private set; }

    public TcpProxy(int targetPort)
    {
        _targetPort = targetPort;
        Start(0);
    }

    public int Port { get; private set; }

    /// <summary>Opens the proxy's port again after <see cref="Stop"/>.</summary>
    public void Start() => Start(Port);

    /// <summary>Refuses new connections and resets the open ones, as a server that went away would.</summary>
    public void Stop()
    {
        _stop?.Cancel();
        _listener?.Stop();
        _listener = null;
        lock (_connections)
        {
            foreach (var connection in _connections)
            {
                try
                {
                    // Linger 0: closing sends RST, as a crashed server host would, instead of an orderly FIN.
                    if (connection.Client is { } socket)
                    {
                        socket.LingerState = new LingerOption(true, 0);
                    }
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                }

                connection.Dispose();
            }

            _connections.Clear();
        }
    }

    public void Dispose()
    {
        Stop();
        _stop?.Dispose();
    }

    private void Start(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _stop?.Dispose();
        _stop = new CancellationTokenSource();
        _listener = listener;
        _ = AcceptAsync(listener, _stop.Token);
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                return;
            }

            var upstream = new TcpClient();
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, _targetPort, stop);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                client.Dispose();
                upstream.Dispose();
                continue;
            }

            lock (_connections)
            {
                _connections.Add(client);
                _connections.Add(upstream);
            }

            var pair = new Pair(client, upstream);
            _ = ToServerAsync(pair, stop);
            _ = ToClientAsync(pair, stop);
        }
    }

    /// <summary>One relayed connection; once cut, nothing more goes back to the client.</summary>
    private sealed class Pair(TcpClient client, TcpClient upstream)
    {
        public TcpClient Client => client;

        public TcpClient Upstream => upstream;

        public volatile bool Cut;

        public void Reset()
        {
            foreach (var end in new[] { client, upstream })
            {
                try
                {
                    if (end.Client is { } socket)
                    {
                        socket.LingerState = new LingerOption(true, 0);
                    }
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                }

                end.Dispose();
            }
        }
    }

    private async Task ToServerAsync(Pair pair, CancellationToken stop)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            var from = pair.Client.GetStream();
            var to = pair.Upstream.GetStream();
            while (true)
            {
                var read = await from.ReadAsync(buffer, stop);
                if (read == 0)
                {
                    break;
                }

                var pattern = Volatile.Read(ref _cutPattern);
                var cut = pattern is not null && buffer.AsSpan(0, read).IndexOf(pattern) >= 0
                    && Interlocked.CompareExchange(ref _cutPattern, null, pattern) == pattern;
                if (cut)
                {
                    // The reply must never reach the client: mark the pair before the server can answer.
                    pair.Cut = true;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), stop);
                if (cut)
                {
                    Cuts++;

                    // Give the server the time to act on what it got, then reset both ends.
                    await Task.Delay(200, stop);
                    pair.Reset();
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
        }

        pair.Client.Dispose();
        pair.Upstream.Dispose();
    }

    private static async Task ToClientAsync(Pair pair, CancellationToken stop)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            var from = pair.Upstream.GetStream();
            var to = pair.Client.GetStream();
            while (true)
            {
                var read = await from.ReadAsync(buffer, stop);
                if (read == 0 || pair.Cut)
                {
                    break;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), stop);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
        }

        if (!pair.Cut)
        {
            pair.Client.Dispose();
            pair.Upstream.Dispose();
        }
    }
}
