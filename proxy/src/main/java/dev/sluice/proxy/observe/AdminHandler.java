package dev.sluice.proxy.observe;

import dev.sluice.discovery.model.Addresses;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers read-only admin requests: GET and HEAD only (405 otherwise), a malformed request gets
 * 400 and a closed connection. Subclasses map a path to a {@link Reply}; they hold no per-connection
 * state, so one instance serves every connection.
 */
@ChannelHandler.Sharable
abstract class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);

    /** What to send back; {@code headers} are added to Content-Type and Content-Length. */
    record Reply(HttpResponseStatus status, String contentType, String body, Map<String, String> headers) {
        static Reply text(HttpResponseStatus status, String body) {
            return new Reply(status, "text/plain; charset=utf-8", body, Map.of());
        }

        static Reply notFound() {
            return text(HttpResponseStatus.NOT_FOUND, "404 page not found\n");
        }
    }

    /** The reply for a GET or HEAD of {@code path} (the URI without its query). */
    abstract Reply reply(String path);

    /** The reply for a GET or HEAD of {@code path} with its decoded query; handlers that read no query keep the default. */
    Reply reply(String path, Map<String, List<String>> query) {
        return reply(path);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (request.decoderResult().isFailure()) {
            send(ctx, request, Reply.text(HttpResponseStatus.BAD_REQUEST, "400 bad request\n"), false);
            return;
        }
        HttpMethod method = request.method();
        Reply reply;
        if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
            reply = new Reply(HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
                    "405 method not allowed\n", Map.of(HttpHeaderNames.ALLOW.toString(), "GET, HEAD"));
        } else {
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            reply = reply(uri.path(), uri.parameters());
        }
        send(ctx, request, reply, HttpUtil.isKeepAlive(request));
    }

    private static void send(ChannelHandlerContext ctx, FullHttpRequest request, Reply reply, boolean keepAlive) {
        byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
        boolean head = HttpMethod.HEAD.equals(request.method());
        ByteBuf content = head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, reply.status(), content);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, reply.contentType());
        reply.headers().forEach(response.headers()::set);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(response);
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Read timeouts and peers that hang up are routine for an admin port: not worth a warning.
        if (log.isDebugEnabled()) {
            log.debug("admin connection {} closed: {}", Addresses.format(ctx.channel().remoteAddress()),
                    cause.toString());
        }
        ctx.close();
    }
}
