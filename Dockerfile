FROM python:3.11-slim
# An unprivileged user with a fixed number: deploy/deployment.yaml's runAsNonRoot/runAsUser name the same one.
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /tmp --shell /usr/sbin/nologin kss
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY keras_shape_service/ keras_shape_service/
# Compiled now, as root: at run time the code is read-only (readOnlyRootFilesystem in Kubernetes, read_only in
# docker-compose.yml), and only /tmp is writable (temp dirs of keras_shape_service/gunicorn_conf.py, Keras's ~/.keras).
RUN python -m compileall -q keras_shape_service
ENV HOST=0.0.0.0 PORT=8000 HOME=/tmp PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
EXPOSE 8000
CMD ["gunicorn", "--config", "keras_shape_service/gunicorn_conf.py"]
