# The hopscope image: one static binary on a distroless base with no shell,
# run as the distroless "nonroot" user (65532), as deploy/ expects.
#   docker build -t hopscope:dev .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Static, so the image needs no libc; -trimpath keeps build paths out of it.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/hopscope ./cmd/hopscope

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hopscope /hopscope
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/hopscope"]
CMD ["watch", "--listen=:8080"]
